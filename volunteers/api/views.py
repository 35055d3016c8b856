import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import BackOfficeRole
from accounts.models import Role
from volunteers.api.serializers import (
    ActivitySerializer,
    AssignmentSerializer,
    ClosedDaySerializer,
    ClosedDaysQuerySerializer,
    HelpRequestCreateSerializer,
    HelpRequestSerializer,
    OfferSerializer,
    ScanRequestSerializer,
    ScanResultSerializer,
)
from volunteers.models import Assignment, Offer, Place
from volunteers.selectors.activity import activities_of
from volunteers.selectors.calendar import centre_closed_days
from volunteers.selectors.help_requests import assignments_for, offers_for
from volunteers.services.help_requests import (
    assignment_finish,
    assignment_start,
    offer_accept,
    offer_decline,
    request_receive,
    resident_details_open,
)
from volunteers.services.scans import scan_request


class ScanView(APIView):
    """A scanned QR token: checks in, or out if already checked in at that place.
    A check-in scanned again within two minutes answers like the first (201, the same
    activity); ``request_id`` makes a retried request return the first answer. A
    self scan earns points only with the proof of presence its place asks for."""

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
        data = serializer.validated_data
        action, activity = scan_request(
            token=data["token"],
            user=request.user,
            place=place,
            kiosk_code=data.get("kiosk_code", ""),
            request_id=data.get("request_id"),
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


# --- Mutual-aid offers and assignments ----------------------------------------------


class IsVolunteer(BasePermission):
    """Offers and assignments are for volunteers (each sees only their own)."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user.is_authenticated and request.user.acts_as(Role.VOLUNTEER))


class OfferPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50


class OfferListView(generics.ListAPIView):
    """The signed-in volunteer's open offers: district, task and time only."""

    serializer_class = OfferSerializer
    permission_classes = [IsVolunteer]
    pagination_class = OfferPagination

    def get_queryset(self):
        return offers_for(self.request.user).order_by("-created_at", "-id")


class OfferAnswerView(APIView):
    permission_classes = [IsVolunteer]
    answer = "accept"

    def post(self, request: Request, pk: int) -> Response:
        offer = get_object_or_404(Offer, pk=pk, volunteer=request.user)
        if self.answer == "accept":
            assignment = offer_accept(offer=offer, volunteer=request.user)
            return Response(_assignment_body(request, assignment))
        offer = offer_decline(offer=offer, volunteer=request.user)
        return Response(OfferSerializer(offer).data)


class OfferAcceptView(OfferAnswerView):
    """Take the offered request. The first acceptance wins; later ones get 409
    ``offer_taken``. Answers with the assignment (with the resident's details)."""

    answer = "accept"

    @extend_schema(request=None, responses=AssignmentSerializer, operation_id="offers_accept")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class OfferDeclineView(OfferAnswerView):
    """Say no to an offer."""

    answer = "decline"

    @extend_schema(request=None, responses=OfferSerializer, operation_id="offers_decline")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


def _assignment_body(request: Request, assignment: Assignment) -> dict:
    """The assignment as the API shows it; the resident only while live (logged)."""
    resident = None
    if assignment.live:
        resident = resident_details_open(assignment=assignment, user=request.user, via="api")
    return AssignmentSerializer(assignment, context={"resident": resident}).data


class AssignmentPagination(CursorPagination):
    ordering = ("-starts_at", "-id")
    page_size = 50


class AssignmentListView(generics.ListAPIView):
    """The signed-in volunteer's assignments, newest first (no resident details)."""

    serializer_class = AssignmentSerializer
    permission_classes = [IsVolunteer]
    pagination_class = AssignmentPagination

    def get_queryset(self):
        return assignments_for(self.request.user)


class AssignmentDetailView(APIView):
    """One assignment; ``resident`` is filled while it is live, and the read is logged."""

    permission_classes = [IsVolunteer]

    @extend_schema(responses=AssignmentSerializer, operation_id="assignments_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        assignment = get_object_or_404(
            assignments_for(request.user).select_related("request__resident"), pk=pk
        )
        return Response(_assignment_body(request, assignment))


class AssignmentStepView(APIView):
    permission_classes = [IsVolunteer]
    step = staticmethod(assignment_start)

    def post(self, request: Request, pk: int) -> Response:
        assignment = get_object_or_404(Assignment, pk=pk, volunteer=request.user)
        assignment = self.step(assignment=assignment, actor=request.user)
        assignment = assignments_for(request.user).select_related("request__resident").get(pk=pk)
        return Response(_assignment_body(request, assignment))


class AssignmentStartView(AssignmentStepView):
    """Start the task (assigned → in progress); 409 ``invalid_transition`` otherwise."""

    step = staticmethod(assignment_start)

    @extend_schema(request=None, responses=AssignmentSerializer, operation_id="assignments_start")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class AssignmentFinishView(AssignmentStepView):
    """Finish the task (in progress → done); the resident's details are hidden from
    then on. 409 ``invalid_transition`` otherwise."""

    step = staticmethod(assignment_finish)

    @extend_schema(request=None, responses=AssignmentSerializer, operation_id="assignments_finish")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


# --- Intake by coordinators and the centre's calendar --------------------------------


class HelpRequestCreateView(APIView):
    """Take a request for a resident (coordinators). Refused with 400 and a stable
    ``code``: ``invalid_window``, ``outside_service_hours``, or ``centre_closed`` on
    one of the centre's closed days (a public holiday, the year-end closure, a
    one-off closure; ``details.reason`` names it). Coordinators only, with MFA passed
    in the session (403 ``mfa_required`` otherwise), as in the back office."""

    permission_classes = [BackOfficeRole.of(Role.COORDINATOR)]

    @extend_schema(
        request=HelpRequestCreateSerializer,
        responses={201: HelpRequestSerializer},
        operation_id="help_requests_create",
    )
    def post(self, request: Request) -> Response:
        serializer = HelpRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        help_request = request_receive(
            actor=request.user,
            resident=data["resident"],
            category=data["category"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            channel=data["channel"],
            place=data["place"],
            notes=data["notes"],
        )
        return Response(HelpRequestSerializer(help_request).data, status=status.HTTP_201_CREATED)


class ClosedDaysView(APIView):
    """The centre's closed days between ``start`` and ``end`` (both included), each
    with its reason, so that a client offers only open days."""

    @extend_schema(
        parameters=[ClosedDaysQuerySerializer],
        responses=ClosedDaySerializer(many=True),
        operation_id="centre_closed_days_list",
    )
    def get(self, request: Request) -> Response:
        query = ClosedDaysQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start = query.validated_data.get("start") or timezone.localdate()
        end = query.validated_data.get("end") or start + dt.timedelta(
            days=min(30, (dt.date.max - start).days)
        )
        if not (0 <= (end - start).days <= 366):
            raise ValidationError(
                {"end": ["The end must be on or after the start, at most 366 days later."]}
            )
        rows = [{"date": d, "reason": r} for d, r in centre_closed_days(start, end).items()]
        return Response(ClosedDaySerializer(rows, many=True).data)
