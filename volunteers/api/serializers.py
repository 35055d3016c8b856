from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from volunteers.models import Activity, Assignment, HelpCategory, HelpRequest, Offer, Resident


class ScanRequestSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The token from the QR code's URL.")
    place = serializers.IntegerField(
        required=False, help_text="For host staff of several places: where the card is scanned."
    )
    kiosk_code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="At a place that proves presence with its kiosk: the code the kiosk "
        "shows now (it changes every minute).",
    )
    request_id = serializers.UUIDField(
        required=False,
        help_text="A new UUID per scan; resending it returns the first answer.",
    )


class ActivitySerializer(serializers.ModelSerializer):
    place = serializers.CharField(source="place.name")
    method = serializers.ChoiceField(choices=Activity.Method.choices)
    status = serializers.ChoiceField(choices=Activity.Status.choices)
    duration_minutes = serializers.IntegerField(allow_null=True)
    points = serializers.IntegerField(source="points_credited")

    class Meta:
        model = Activity
        fields = [
            "id",
            "place",
            "method",
            "status",
            "started_at",
            "ended_at",
            "duration_minutes",
            "points",
        ]
        read_only_fields = fields


class ScanResultSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["check_in", "check_out", "closed_for_review"])
    activity = ActivitySerializer()


# --- Mutual-aid offers and assignments ----------------------------------------------


class OfferSerializer(serializers.ModelSerializer):
    """An offer shows district, task and time only: never the resident."""

    status = serializers.ChoiceField(choices=Offer.Status.choices)
    task = serializers.CharField(source="request.category.name")
    district = serializers.CharField(source="request.district.name")
    starts_at = serializers.DateTimeField(source="request.starts_at")
    ends_at = serializers.DateTimeField(source="request.ends_at")

    class Meta:
        model = Offer
        fields = ["id", "status", "task", "district", "starts_at", "ends_at", "created_at"]
        read_only_fields = fields


class ResidentDetailsSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(allow_blank=True)

    class Meta:
        model = Resident
        fields = ["full_name", "full_name_kana", "address", "phone"]
        read_only_fields = fields


class AssignmentSerializer(serializers.ModelSerializer):
    """An assignment. ``resident`` is filled only on a single live assignment's detail
    (each such read is logged); lists never carry it."""

    status = serializers.ChoiceField(choices=Assignment.Status.choices)
    task = serializers.CharField(source="request.category.name")
    district = serializers.CharField(source="request.district.name")
    place = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()
    resident = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "status",
            "task",
            "district",
            "starts_at",
            "ends_at",
            "started_at",
            "finished_at",
            "fee_yen",
            "place",
            "notes",
            "resident",
        ]
        read_only_fields = fields

    def _resident(self, obj):
        return self.context.get("resident")

    @extend_schema_field(ResidentDetailsSerializer(allow_null=True))
    def get_resident(self, obj):
        resident = self._resident(obj)
        return ResidentDetailsSerializer(resident).data if resident else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_place(self, obj) -> str | None:
        return obj.request.place if self._resident(obj) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_notes(self, obj) -> str | None:
        return obj.request.notes if self._resident(obj) else None


# --- Intake by coordinators and the centre's calendar --------------------------------


class HelpRequestCreateSerializer(serializers.Serializer):
    """A request taken for a resident (phone, visit, online)."""

    resident = serializers.PrimaryKeyRelatedField(queryset=Resident.objects.all())
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=HelpCategory.objects.filter(active=True),
        help_text="The help category's code (e.g. shopping, trash).",
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    channel = serializers.ChoiceField(
        choices=[c for c in HelpRequest.Channel.choices if c[0] != HelpRequest.Channel.STANDING],
        default=HelpRequest.Channel.PHONE,
    )
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class HelpRequestSerializer(serializers.ModelSerializer):
    """A request as the coordinator who took it sees it (no resident details)."""

    status = serializers.ChoiceField(choices=HelpRequest.Status.choices)
    channel = serializers.ChoiceField(choices=HelpRequest.Channel.choices)
    category = serializers.CharField(source="category.code")
    district = serializers.CharField(source="district.name")

    class Meta:
        model = HelpRequest
        fields = [
            "id",
            "resident",
            "category",
            "district",
            "starts_at",
            "ends_at",
            "channel",
            "status",
        ]
        read_only_fields = fields


class ClosedDaysQuerySerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day (default: today).", required=False)
    end = serializers.DateField(
        help_text="Last day, included (default: 30 days after the first; at most 366).",
        required=False,
    )


class ClosedDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    reason = serializers.CharField()
