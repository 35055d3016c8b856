from rest_framework import serializers

from volunteers.models import Activity


class ScanRequestSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The token from the QR code's URL.")
    place = serializers.IntegerField(
        required=False, help_text="For host staff of several places: where the card is scanned."
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
    action = serializers.ChoiceField(choices=["check_in", "check_out"])
    activity = ActivitySerializer()
