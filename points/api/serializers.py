from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from points.models import CapReason, Entry, TransactionKind


class BalanceSerializer(serializers.Serializer):
    balance = serializers.IntegerField(help_text="Points in the wallet.")


class EntrySerializer(serializers.ModelSerializer):
    points = serializers.IntegerField(source="amount")
    running_balance = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(source="transaction.kind", choices=TransactionKind.choices)
    reason = serializers.CharField(source="transaction.reason")
    recorded_at = serializers.DateTimeField(source="transaction.created_at")
    activity_date = serializers.DateField(source="transaction.activity_date", allow_null=True)
    points_before_limits = serializers.IntegerField(
        source="transaction.requested_points", allow_null=True
    )
    capped_points = serializers.IntegerField(source="transaction.capped_points")
    cap_reason = serializers.ChoiceField(source="transaction.cap_reason", choices=CapReason.choices)
    valid_until = serializers.DateField(source="transaction.expires_on", allow_null=True)

    class Meta:
        model = Entry
        fields = [
            "id",
            "points",
            "running_balance",
            "kind",
            "reason",
            "recorded_at",
            "activity_date",
            "points_before_limits",
            "capped_points",
            "cap_reason",
            "valid_until",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_running_balance(self, entry: Entry) -> int:
        return entry.running_balance
