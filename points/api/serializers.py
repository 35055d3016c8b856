from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from points.models import CapReason, Entry, SettlementStatement, TransactionKind, Voucher
from points.selectors import voucher_code


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


class ExchangeRequestSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=100)
    request_id = serializers.UUIDField(
        help_text="A new UUID per exchange; resending it returns the same vouchers."
    )


class VoucherSerializer(serializers.ModelSerializer):
    code = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=Voucher.Status.choices)
    shop = serializers.CharField(source="shop.name", allow_null=True, default=None)

    class Meta:
        model = Voucher
        fields = [
            "id",
            "code",
            "points",
            "face_value_yen",
            "status",
            "issued_at",
            "expires_on",
            "redeemed_at",
            "shop",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.CharField(
            allow_null=True,
            help_text="null if the code cannot be shown (its key was removed); ask the centre.",
        )
    )
    def get_code(self, voucher: Voucher) -> str | None:
        return voucher_code(voucher)


class ExchangeResultSerializer(serializers.Serializer):
    transaction = serializers.IntegerField()
    vouchers = VoucherSerializer(many=True)


class RedemptionRequestSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    shop = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=(
            "Id of the shop accepting the voucher. Required for staff of several shops "
            "(else 400 shop_required); a shop the caller does not work at is refused "
            "(403 wrong_shop)."
        ),
    )


class ShopRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RedemptionCheckSerializer(serializers.ModelSerializer):
    """What the counter sees before confirming: the voucher and the shop it would be
    accepted for (send the same shop with the redemption)."""

    shop = serializers.SerializerMethodField()

    class Meta:
        model = Voucher
        fields = ["id", "points", "face_value_yen", "expires_on", "shop"]
        read_only_fields = fields

    @extend_schema_field(ShopRefSerializer)
    def get_shop(self, voucher: Voucher) -> dict:
        shop = self.context["shop"]
        return {"id": shop.pk, "name": shop.name}


class StaffShopSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_default = serializers.BooleanField(help_text="The shop this clerk chose last.")


class RedemptionSerializer(serializers.ModelSerializer):
    shop = serializers.CharField(source="shop.name")
    shop_id = serializers.IntegerField()

    class Meta:
        model = Voucher
        fields = ["id", "points", "face_value_yen", "redeemed_at", "shop", "shop_id"]
        read_only_fields = fields


class StatementSerializer(serializers.ModelSerializer):
    shop = serializers.CharField(source="shop.name")
    status = serializers.ChoiceField(choices=SettlementStatement.Status.choices)

    class Meta:
        model = SettlementStatement
        fields = [
            "id",
            "shop",
            "month",
            "voucher_count",
            "total_points",
            "total_yen",
            "status",
            "paid_at",
        ]
        read_only_fields = fields
