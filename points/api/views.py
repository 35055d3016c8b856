from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from points.api.serializers import BalanceSerializer, EntrySerializer
from points.selectors import wallet_balance, wallet_entries, with_running_balance


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


class EntryListView(generics.ListAPIView):
    """The signed-in user's points history, newest first, with the running balance."""

    serializer_class = EntrySerializer
    pagination_class = EntryCursorPagination

    def get_queryset(self):
        return wallet_entries(self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return with_running_balance(list(page), self.request.user)
