from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from volunteers.api.serializers import (
    ActivitySerializer,
    ScanRequestSerializer,
    ScanResultSerializer,
)
from volunteers.models import Place
from volunteers.selectors import activities_of
from volunteers.services import scan_toggle


class ScanView(APIView):
    """A scanned QR token: checks in, or out if already checked in at that place."""

    @extend_schema(
        request=ScanRequestSerializer,
        responses={200: ScanResultSerializer, 201: ScanResultSerializer},
        operation_id="scans_create",
    )
    def post(self, request: Request) -> Response:
        serializer = ScanRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        place_id = serializer.validated_data.get("place")
        place = Place.objects.filter(pk=place_id).first() if place_id else None
        action, activity = scan_toggle(
            token=serializer.validated_data["token"], user=request.user, place=place
        )
        body = ScanResultSerializer({"action": action, "activity": activity}).data
        return Response(body, status=status.HTTP_201_CREATED if action == "check_in" else 200)


class ActivityPagination(CursorPagination):
    ordering = ("-started_at", "-id")
    page_size = 50


class ActivityListView(generics.ListAPIView):
    """The signed-in volunteer's activities, newest first."""

    serializer_class = ActivitySerializer
    pagination_class = ActivityPagination

    def get_queryset(self):
        return activities_of(self.request.user)
