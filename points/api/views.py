from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from points import throttle
from points.api.serializers import (
    BalanceSerializer,
    EntrySerializer,
    ExchangeRequestSerializer,
    ExchangeResultSerializer,
    RedemptionCheckSerializer,
    RedemptionRequestSerializer,
    RedemptionSerializer,
    StaffShopSerializer,
    StatementSerializer,
    VoucherSerializer,
)
from points.selectors import (
    shop_default_id,
    shop_for_redemption,
    shops_of,
    statements_for,
    voucher_check,
    vouchers_of,
    wallet_balance,
    wallet_entries,
    with_running_balance,
)
from points.services.vouchers import voucher_exchange, voucher_redeem


class BalanceView(APIView):
    """The signed-in user's points balance."""

    @extend_schema(responses=BalanceSerializer, operation_id="points_balance")
    def get(self, request: Request) -> Response:
        return Response(BalanceSerializer({"balance": wallet_balance(request.user)}).data)


class EntryCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


class VoucherCursorPagination(CursorPagination):
    ordering = ("-issued_at", "-id")
    page_size = 50


class StatementCursorPagination(CursorPagination):
    ordering = ("-month", "-id")
    page_size = 50


class EntryListView(generics.ListAPIView):
    """The signed-in user's points history, newest first, with the running balance."""

    serializer_class = EntrySerializer
    pagination_class = EntryCursorPagination

    def get_queryset(self):
        return wallet_entries(self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return with_running_balance(list(page), self.request.user)


class ExchangeView(APIView):
    """Exchange points for vouchers (same rules and error codes as /me/vouchers/)."""

    @extend_schema(
        request=ExchangeRequestSerializer,
        responses={201: ExchangeResultSerializer},
        operation_id="vouchers_exchange",
    )
    def post(self, request: Request) -> Response:
        data = validated(ExchangeRequestSerializer, request)
        txn, vouchers = voucher_exchange(
            user=request.user,
            count=data["count"],
            idempotency_key=f"exchange:{data['request_id']}",
        )
        body = ExchangeResultSerializer({"transaction": txn.pk, "vouchers": vouchers}).data
        return Response(body, status=status.HTTP_201_CREATED)


class VoucherListView(generics.ListAPIView):
    """The signed-in user's vouchers, newest first."""

    serializer_class = VoucherSerializer
    pagination_class = VoucherCursorPagination

    def get_queryset(self):
        return vouchers_of(self.request.user)


class StaffShopListView(APIView):
    """The shops the caller accepts vouchers for; ``is_default`` marks the one they
    chose last at the counter."""

    @extend_schema(responses=StaffShopSerializer(many=True), operation_id="shop_shops_list")
    def get(self, request: Request) -> Response:
        default = shop_default_id(request.user)
        rows = [
            {"id": shop.pk, "name": shop.name, "is_default": shop.pk == default}
            for shop in shops_of(request.user)
        ]
        return Response(StaffShopSerializer(rows, many=True).data)


class RedemptionCheckView(APIView):
    """Look a code up for one of the caller's shops before confirming: nothing is
    booked. Same errors (and guessing limit) as the redemption."""

    @extend_schema(
        request=RedemptionRequestSerializer,
        responses={200: RedemptionCheckSerializer},
        operation_id="shop_redemptions_check",
    )
    def post(self, request: Request) -> Response:
        data = validated(RedemptionRequestSerializer, request)
        shop = shop_for_redemption(request.user, data.get("shop"))
        voucher = throttle.guarded(
            request,
            lambda: voucher_check(typed_code=data["code"], shop=shop, staff=request.user),
        )
        return Response(RedemptionCheckSerializer(voucher, context={"shop": shop}).data)


class RedemptionView(APIView):
    """Accept a voucher by its code at one of the caller's shops (exactly once): the
    shop is given explicitly when the caller works at several."""

    @extend_schema(
        request=RedemptionRequestSerializer,
        responses={201: RedemptionSerializer},
        operation_id="shop_redemptions_create",
    )
    def post(self, request: Request) -> Response:
        data = validated(RedemptionRequestSerializer, request)
        shop = shop_for_redemption(request.user, data.get("shop"))
        voucher = throttle.guarded(
            request,
            lambda: voucher_redeem(typed_code=data["code"], shop=shop, staff=request.user),
        )
        return Response(RedemptionSerializer(voucher).data, status=status.HTTP_201_CREATED)


class StatementListView(generics.ListAPIView):
    """Monthly statements of the caller's shops only."""

    serializer_class = StatementSerializer
    pagination_class = StatementCursorPagination

    def get_queryset(self):
        return statements_for(self.request.user)


def validated(serializer_class, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
