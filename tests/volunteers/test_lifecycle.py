"""Requests, offers and assignments: every transition's allowed predecessors, the
fee, the points, notifications and privacy of the resident's details."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from core.errors import NotPermitted
from points.models import EarningRule, Transaction
from points.selectors import wallet_balance
from tests.factories import DistrictFactory
from tests.volunteers.aid import at, category, help_request, resident, volunteer
from volunteers.exceptions import (
    InvalidTransition,
    InvalidWindow,
    NotReevaluable,
    OfferClosed,
    OfferTaken,
    OutsideServiceHours,
    VolunteerBusy,
    VolunteerUnavailable,
)
from volunteers.models import Assignment, HelpRequest, Offer, ResidentAccessLog
from volunteers.services.help_requests import (
    TRANSITIONS,
    assignment_confirm,
    assignment_finish,
    assignment_no_show,
    assignment_start,
    offer_accept,
    offer_decline,
    request_assign,
    request_cancel,
    request_offer,
    request_receive,
    resident_details_open,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Notifications are queued after commit: run them as the block's writes commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def district():
    return DistrictFactory()


@pytest.fixture
def res(district):
    return resident(district)


def test_full_lifecycle_computes_the_fee_and_tells_everyone(coordinator, district, res, commit):
    first, second = volunteer(district), volunteer(district)
    req = help_request(coordinator, res)
    assert req.status == "requested" and req.district == district

    with commit():
        offers = request_offer(help_request=req, volunteers=[first, second], actor=coordinator)
    assert {m.to[0] for m in mail.outbox} == {first.email, second.email}
    assert all(res.full_name not in m.body and res.address not in m.body for m in mail.outbox)
    mail.outbox.clear()

    with commit():
        assignment = offer_accept(offer=offers[0], volunteer=first)
    req.refresh_from_db()
    assert (req.status, assignment.volunteer) == ("assigned", first)
    assert Offer.objects.get(pk=offers[1].pk).status == "taken"
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert "すでに" in subjects[second.email] or "Already" in subjects[second.email]
    assert first.email in subjects

    assignment_start(assignment=assignment, actor=first, at=at(10, 2))
    assignment_finish(assignment=assignment, actor=first, at=at(10, 43))
    done = assignment_confirm(assignment=assignment, actor=coordinator, cash_received_yen=500)
    req.refresh_from_db()
    # 41 minutes: five started 10-minute units at ¥100.
    assert (req.status, done.status, done.minutes, done.fee_yen) == (
        "confirmed",
        "confirmed",
        41,
        500,
    )
    assert done.cash_received_yen == 500 and done.transaction is None


def test_confirmation_awards_points_once_when_the_category_has_a_rule(coordinator, district, res):
    rule = EarningRule.objects.create(
        activity_kind="aid", name="支えあい", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    shopping = category()
    shopping.earning_rule = rule
    shopping.save()
    helper = volunteer(district)
    assignment = request_assign(
        help_request=help_request(coordinator, res), volunteer=helper, actor=coordinator
    )
    assignment_start(assignment=assignment, actor=coordinator, at=at(10))
    assignment_finish(assignment=assignment, actor=coordinator, at=at(11))
    done = assignment_confirm(
        assignment=assignment, actor=coordinator, cash_received_yen=600, minutes=60
    )
    assert done.fee_yen == 600
    assert done.transaction.idempotency_key == f"assignment:{done.pk}"
    assert (done.transaction.actor_id, done.transaction.reference) == (
        coordinator.pk,
        f"assignment:{done.pk}",
    )
    assert done.transaction.activity_date == at(10).date()  # the day of the work
    assert Assignment.objects.get(pk=done.pk).transaction_id == done.transaction.pk
    assert wallet_balance(helper) == 100
    with pytest.raises(InvalidTransition):
        assignment_confirm(assignment=done, actor=coordinator, cash_received_yen=600)
    assert Transaction.objects.filter(reference=f"assignment:{done.pk}").count() == 1
    assert wallet_balance(helper) == 100


def test_a_rule_that_requires_training_credits_confirmed_help_only_after_it(
    coordinator, district, res
):
    """Confirmed help under a rule that requires training earns nothing before the
    volunteer attended a session (the help itself is confirmed, with its fee), and
    earns as usual once they have."""
    from django.utils import timezone

    from volunteers.models import TrainingSession
    from volunteers.services.insurance import training_attendance_record

    rule = EarningRule.objects.create(
        activity_kind="aid",
        name="支えあい",
        basis=EarningRule.Basis.PER_HOUR,
        points=100,
        requires_training=True,
    )
    shopping = category()
    shopping.earning_rule = rule
    shopping.save()
    helper = volunteer(district)

    def confirmed(start: int):
        req = help_request(coordinator, res, start=at(start), end=at(start + 1))
        assignment = request_assign(help_request=req, volunteer=helper, actor=coordinator)
        assignment_start(assignment=assignment, actor=coordinator, at=at(start))
        assignment_finish(assignment=assignment, actor=coordinator, at=at(start + 1))
        return assignment_confirm(
            assignment=assignment, actor=coordinator, cash_received_yen=600, minutes=60
        )

    before = confirmed(10)
    assert (before.status, before.fee_yen, before.transaction) == ("confirmed", 600, None)
    assert wallet_balance(helper) == 0

    session = TrainingSession.objects.create(
        title="傾聴研修", starts_at=timezone.now() - dt.timedelta(days=1)
    )
    training_attendance_record(
        session=session, shown_ids=[helper.pk], attended_ids=[helper.pk], actor=coordinator
    )
    after = confirmed(13)
    assert after.transaction.idempotency_key == f"assignment:{after.pk}"
    assert wallet_balance(helper) == 100


def run_step(step, req, assignment, helper, coordinator):
    if step == "offer":
        return request_offer(help_request=req, volunteers=[helper], actor=coordinator)
    if step == "assign":
        return request_assign(help_request=req, volunteer=helper, actor=coordinator)
    if step == "cancel":
        return request_cancel(help_request=req, actor=coordinator)
    if step == "confirm":
        return assignment_confirm(
            assignment=assignment, actor=coordinator, cash_received_yen=0, cash_note="後日"
        )
    action = {"start": assignment_start, "finish": assignment_finish}.get(step)
    if action is not None:
        return action(assignment=assignment, actor=coordinator)
    return assignment_no_show(assignment=assignment, actor=coordinator)


@pytest.mark.parametrize("step", sorted(TRANSITIONS))
def test_every_step_refuses_states_it_does_not_start_from(step, coordinator, district, res):
    allowed, _ = TRANSITIONS[step]
    helper = volunteer(district)
    for status in HelpRequest.Status.values:
        if status in allowed:
            continue
        req = help_request(coordinator, res, start=at(9), end=at(10))
        HelpRequest.objects.filter(pk=req.pk).update(status=status)
        assignment = Assignment.objects.create(
            request=req,
            volunteer=helper,
            starts_at=req.starts_at,
            ends_at=req.ends_at,
            assigned_by=coordinator,
            status=status if status in Assignment.Status.values else "assigned",
            started_at=req.starts_at,
            finished_at=req.ends_at,
        )
        with pytest.raises(InvalidTransition):
            run_step(step, req, assignment, helper, coordinator)
        req.refresh_from_db()
        assert req.status == status
        Assignment.objects.filter(pk=assignment.pk).delete()


def test_second_acceptance_is_told_it_is_taken(coordinator, district, res):
    first, second = volunteer(district), volunteer(district)
    req = help_request(coordinator, res)
    a, b = request_offer(help_request=req, volunteers=[first, second], actor=coordinator)
    won = offer_accept(offer=a, volunteer=first)
    assert offer_accept(offer=a, volunteer=first) == won  # a repeated tap
    with pytest.raises(OfferTaken):
        offer_accept(offer=b, volunteer=second)
    with pytest.raises(NotPermitted):
        offer_accept(offer=a, volunteer=second)


def test_declined_offer_cannot_be_accepted(coordinator, district, res):
    helper = volunteer(district)
    req = help_request(coordinator, res)
    (offer,) = request_offer(help_request=req, volunteers=[helper], actor=coordinator)
    offer_decline(offer=offer, volunteer=helper)
    with pytest.raises(OfferClosed):
        offer_accept(offer=offer, volunteer=helper)


def test_offers_go_only_to_people_with_a_volunteer_profile(coordinator, district, res):
    from tests.factories import UserFactory

    helper = volunteer(district)
    req = help_request(coordinator, res)
    with pytest.raises(VolunteerUnavailable) as refused:
        request_offer(help_request=req, volunteers=[helper, UserFactory()], actor=coordinator)
    assert refused.value.field == "volunteers"
    req.refresh_from_db()
    assert req.status == "requested" and not Offer.objects.filter(request=req).exists()
    (offer,) = request_offer(help_request=req, volunteers=[helper], actor=coordinator)
    assert offer.volunteer == helper


def test_acceptance_checks_overlap_and_insurance(coordinator, district, res):
    helper = volunteer(district)
    request_assign(help_request=help_request(coordinator, res), volunteer=helper, actor=coordinator)
    overlapping = help_request(coordinator, res, start=at(10, 30), end=at(11, 30))
    (offer,) = request_offer(help_request=overlapping, volunteers=[helper], actor=coordinator)
    with pytest.raises(VolunteerBusy):
        offer_accept(offer=offer, volunteer=helper)
    uninsured = volunteer(district, insurance=dt.date(2030, 6, 3))
    with pytest.raises(VolunteerUnavailable):
        request_assign(help_request=overlapping, volunteer=uninsured, actor=coordinator)


def test_cancelling_withdraws_offers_and_tells_the_assigned_volunteer(
    coordinator, district, res, commit
):
    helper = volunteer(district)
    req = help_request(coordinator, res)
    request_assign(help_request=req, volunteer=helper, actor=coordinator)
    mail.outbox.clear()
    with commit():
        request_cancel(help_request=req, actor=coordinator, reason="入院のため")
    assert Assignment.objects.get(request=req).status == "cancelled"
    assert [m.to[0] for m in mail.outbox] == [helper.email]


def test_window_is_checked_against_service_hours(coordinator, res):
    with pytest.raises(OutsideServiceHours):
        help_request(coordinator, res, start=at(8), end=at(9))
    with pytest.raises(InvalidWindow):
        help_request(coordinator, res, start=at(11), end=at(10))
    with pytest.raises(NotPermitted):
        request_receive(
            actor=volunteer(res.district),
            resident=res,
            category=category(),
            starts_at=at(10),
            ends_at=at(11),
        )


def test_resident_details_only_while_live_and_every_look_is_logged(coordinator, district, res):
    helper, other = volunteer(district), volunteer(district)
    assignment = request_assign(
        help_request=help_request(coordinator, res), volunteer=helper, actor=coordinator
    )
    assert resident_details_open(assignment=assignment, user=helper, via="page") == res
    with pytest.raises(NotPermitted):
        resident_details_open(assignment=assignment, user=other, via="page")
    assert resident_details_open(assignment=assignment, user=coordinator, via="page") == res
    assert list(ResidentAccessLog.objects.values_list("user_id", "via")) == [(helper.pk, "page")]
    assignment_start(assignment=assignment, actor=helper, at=at(10))
    assignment_finish(assignment=assignment, actor=helper, at=at(11))
    assignment.refresh_from_db()
    with pytest.raises(NotPermitted):
        resident_details_open(assignment=assignment, user=helper, via="api")


def test_confirmation_refuses_negative_amounts(coordinator, district, res):
    from volunteers.exceptions import InvalidAmount

    helper = volunteer(district)
    assignment = request_assign(
        help_request=help_request(coordinator, res), volunteer=helper, actor=coordinator
    )
    assignment_start(assignment=assignment, actor=helper, at=at(10))
    assignment_finish(assignment=assignment, actor=helper, at=at(10, 20))
    for minutes, cash in ((-5, 0), (20, -100)):
        with pytest.raises(InvalidAmount):
            assignment_confirm(
                assignment=assignment, actor=coordinator, minutes=minutes, cash_received_yen=cash
            )
    assert Assignment.objects.get(pk=assignment.pk).status == "done"


def test_trash_can_be_taken_early_in_the_morning(coordinator, res):
    req = help_request(coordinator, res, code="trash", start=at(7, 30), end=at(7, 50))
    assert req.category.service_starts == dt.time(7)


@pytest.mark.parametrize(
    "started, finished, minutes, fee",
    [
        pytest.param(at(8, 40), at(9, 25), 25, 300, id="start-tapped-before-opening"),
        pytest.param(
            at(15, 30),
            at(10, day=at(0).date() + dt.timedelta(1)),
            30,
            300,
            id="finish-forgotten-overnight",
        ),
        pytest.param(at(10), at(10, 10), 10, 100, id="exactly-one-unit"),
        pytest.param(at(10), at(10, 11), 11, 200, id="a-started-unit-counts"),
    ],
)
def test_the_fee_counts_only_minutes_within_service_hours(
    coordinator, district, res, started, finished, minutes, fee
):
    helper = volunteer(district)
    assignment = request_assign(
        help_request=help_request(coordinator, res), volunteer=helper, actor=coordinator
    )
    # Recorded by the coordinator: a volunteer may not start more than an hour early.
    assignment_start(assignment=assignment, actor=coordinator, at=started)
    assignment_finish(assignment=assignment, actor=helper, at=finished)
    done = assignment_confirm(assignment=assignment, actor=coordinator, cash_received_yen=fee)
    assert (done.minutes, done.fee_yen) == (minutes, fee)


def test_an_offer_left_open_after_the_request_moved_on_is_taken_or_closed(
    coordinator, district, res
):
    """Offers are closed when the request is assigned or cancelled; one still open
    (written before that rule, or by hand) is answered by what became of the request:
    taken when someone holds it, closed otherwise."""
    first, second, third = (volunteer(district) for _ in range(3))
    req = help_request(coordinator, res)
    a, b = request_offer(help_request=req, volunteers=[first, second], actor=coordinator)
    request_assign(help_request=req, volunteer=third, actor=coordinator)
    Offer.objects.filter(pk=a.pk).update(status=Offer.Status.OPEN)
    with pytest.raises(OfferTaken):
        offer_accept(offer=a, volunteer=first)
    other = help_request(coordinator, res, start=at(13), end=at(14))
    (c,) = request_offer(help_request=other, volunteers=[second], actor=coordinator)
    request_cancel(help_request=other, actor=coordinator)
    Offer.objects.filter(pk=c.pk).update(status=Offer.Status.OPEN)
    with pytest.raises(OfferClosed):
        offer_accept(offer=c, volunteer=second)


def test_cancelling_withdraws_this_requests_open_offers_only(coordinator, district, res):
    first, second, third = (volunteer(district) for _ in range(3))
    req = help_request(coordinator, res)
    a, b = request_offer(help_request=req, volunteers=[first, second], actor=coordinator)
    offer_decline(offer=b, volunteer=second)
    other = help_request(coordinator, res, start=at(13), end=at(14))
    (c,) = request_offer(help_request=other, volunteers=[third], actor=coordinator)
    cancelled = request_cancel(help_request=req, actor=coordinator)
    assert cancelled.cancel_reason == ""  # none given
    statuses = dict(Offer.objects.values_list("pk", "status"))
    assert statuses == {a.pk: "withdrawn", b.pk: "declined", c.pk: "open"}


def test_an_offer_refused_before_anything_is_sent_names_the_volunteers_field(coordinator, district):
    """Every refusal of ``request_offer`` points at the volunteers chosen (the form
    shows it there); a missing pledge names who has not accepted it."""
    from django.utils import translation

    from volunteers.exceptions import ConsentMissing, NothingToOffer, PledgeMissing

    req = help_request(coordinator, resident(district))
    with pytest.raises(NothingToOffer) as excinfo:
        request_offer(help_request=req, volunteers=[], actor=coordinator)
    assert excinfo.value.field == "volunteers"
    without = help_request(coordinator, resident(district, consent=False))
    with pytest.raises(ConsentMissing) as excinfo:
        request_offer(help_request=without, volunteers=[volunteer(district)], actor=coordinator)
    assert excinfo.value.field == "volunteers"
    one = volunteer(district, full_name="未署名 一", pledge=False)
    two = volunteer(district, full_name="未署名 二", pledge=False)
    with translation.override("en"), pytest.raises(PledgeMissing) as excinfo:
        request_offer(
            help_request=req, volunteers=[one, two, volunteer(district)], actor=coordinator
        )
    refusal = excinfo.value
    assert refusal.field == "volunteers"
    assert set(refusal.details["names"].split("、")) == {"未署名 一", "未署名 二"}
    assert str(refusal.message) == (
        f"Not offered: {refusal.details['names']} has not accepted the current "
        "confidentiality pledge yet. They accept it on their page, or a coordinator "
        "records their signed paper pledge."
    )
    assert not Offer.objects.filter(request=req).exists()


def test_offering_again_asks_only_the_new_volunteers(coordinator, district, res):
    first, second = volunteer(district), volunteer(district)
    req = help_request(coordinator, res)
    (a,) = request_offer(help_request=req, volunteers=[first], actor=coordinator)
    again = request_offer(help_request=req, volunteers=[first, second], actor=coordinator)
    assert [o.volunteer_id for o in again] == [second.pk]
    assert sorted(Offer.objects.filter(request=req).values_list("volunteer_id", flat=True)) == (
        sorted([first.pk, second.pk])
    )


# --- Intake: what is recorded, and who is refused -------------------------------------


@pytest.fixture
def desk(client, coordinator):
    from tests.points.test_interfaces import signed_in_back_office

    return signed_in_back_office(client, coordinator)


def api_intake(desk, res, **fields):
    body = {
        "resident": res.pk,
        "category": "shopping",
        "starts_at": at(10).isoformat(),
        "ends_at": at(11).isoformat(),
        **fields,
    }
    return desk.post("/api/v1/help-requests/", body, content_type="application/json")


def test_the_api_records_the_channel_place_notes_and_who_took_the_request(desk, coordinator, res):
    response = api_intake(desk, res, channel="visit", place="緑町公民館", notes="杖をお持ちです")
    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "visit"
    taken = HelpRequest.objects.get(pk=response.json()["id"])
    assert (taken.channel, taken.place, taken.notes) == ("visit", "緑町公民館", "杖をお持ちです")
    assert (taken.received_by, taken.standing) == (coordinator, None)


def test_a_request_taken_without_place_or_notes_has_none(coordinator, res):
    """The volunteer's page shows the place and notes as given: none means empty."""
    taken = request_receive(
        actor=coordinator, resident=res, category=category(), starts_at=at(10), ends_at=at(11)
    )
    taken.refresh_from_db()
    assert (taken.channel, taken.place, taken.notes) == ("phone", "", "")


def test_the_api_refuses_a_resident_who_left_on_the_resident_field(desk, district):
    """Leaving is enough (their details are kept a while before being erased)."""
    left = resident(district, left_on=dt.date(2030, 5, 31))
    assert left.anonymised_at is None
    response = api_intake(desk, left)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "resident_left" and list(body["fields"]) == ["resident"]
    assert not HelpRequest.objects.filter(resident=left).exists()


def test_a_resident_who_left_a_moment_ago_is_refused_even_from_a_stale_page(coordinator, res):
    """The service reads the resident afresh under its lock: the object the form
    loaded before the leaving committed does not let a new request through."""
    from volunteers.exceptions import ResidentLeft
    from volunteers.models import Resident

    Resident.objects.filter(pk=res.pk).update(left_on=dt.date(2030, 6, 1))
    assert res.left_on is None  # what the page loaded
    with pytest.raises(ResidentLeft):
        help_request(coordinator, res)
    assert not HelpRequest.objects.filter(resident=res).exists()


def test_the_api_refuses_a_closed_day_naming_the_date_and_the_reason(desk, res):
    from volunteers.models import CentreClosure

    CentreClosure.objects.create(
        kind=CentreClosure.Kind.DATED, name="職員研修", first_date=at(0).date()
    )
    response = api_intake(desk, res)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "centre_closed"
    assert body["details"] == {"date": "2030-06-04", "reason": "職員研修"}
    assert list(body["fields"]) == ["starts_at"] and "職員研修" in body["fields"]["starts_at"][0]
    assert not HelpRequest.objects.filter(resident=res).exists()
    # The next day is open.
    next_day = at(0).date() + dt.timedelta(days=1)
    later = api_intake(
        desk,
        res,
        starts_at=at(10, day=next_day).isoformat(),
        ends_at=at(11, day=next_day).isoformat(),
    )
    assert later.status_code == 201, later.content


# --- Who may take a request ------------------------------------------------------------


def deactivated(user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        pytest.param(lambda d: volunteer(d), True, id="active-and-insured"),
        pytest.param(lambda d: volunteer(d, insurance=at(0).date()), True, id="insured-to-the-day"),
        pytest.param(
            lambda d: volunteer(d, insurance=at(0).date() - dt.timedelta(days=1)),
            False,
            id="insurance-ended-the-day-before",
        ),
        pytest.param(lambda d: volunteer(d, insurance=None), False, id="no-insurance"),
        pytest.param(lambda d: volunteer(d, active=False), False, id="profile-inactive"),
        pytest.param(lambda d: deactivated(volunteer(d)), False, id="account-deactivated"),
    ],
)
def test_only_an_active_volunteer_insured_on_the_day_can_be_assigned(
    coordinator, district, res, who, allowed
):
    helper = who(district)
    req = help_request(coordinator, res)
    if allowed:
        assert (
            request_assign(help_request=req, volunteer=helper, actor=coordinator).volunteer
            == helper
        )
    else:
        with pytest.raises(VolunteerUnavailable):
            request_assign(help_request=req, volunteer=helper, actor=coordinator)
        req.refresh_from_db()
        assert req.status == "requested" and not Assignment.objects.filter(request=req).exists()


def test_someone_without_a_volunteer_profile_cannot_be_assigned(coordinator, res):
    from tests.factories import UserFactory

    with pytest.raises(VolunteerUnavailable):
        request_assign(
            help_request=help_request(coordinator, res), volunteer=UserFactory(), actor=coordinator
        )


def test_back_to_back_help_and_other_volunteers_bookings_do_not_make_someone_busy(
    coordinator, district, res
):
    helper, other = volunteer(district), volunteer(district)
    request_assign(help_request=help_request(coordinator, res), volunteer=helper, actor=coordinator)
    before = help_request(coordinator, res, start=at(9), end=at(10))  # ends as 10–11 starts
    after = help_request(coordinator, res, start=at(11), end=at(12))  # starts as it ends
    assert request_assign(help_request=before, volunteer=helper, actor=coordinator)
    (offer,) = request_offer(help_request=after, volunteers=[helper], actor=coordinator)
    assert offer_accept(offer=offer, volunteer=helper).volunteer == helper
    # The other volunteer is free at 10–11, whoever else is booked then.
    overlapping = help_request(coordinator, res, start=at(10, 30), end=at(11, 30))
    assert request_assign(help_request=overlapping, volunteer=other, actor=coordinator)


def test_the_request_page_refuses_to_assign_a_volunteer_without_the_pledge(
    desk, coordinator, district, res
):
    from volunteers.exceptions import PledgeMissing

    unpledged = volunteer(district, pledge=False)
    req = help_request(coordinator, res)
    page = desk.post(
        f"/admin/aid/requests/{req.pk}/assign/", {"volunteer": unpledged.pk}, follow=True
    )
    assert str(PledgeMissing.default_message) in [str(m) for m in page.context["messages"]]
    req.refresh_from_db()
    assert req.status == "requested" and not Assignment.objects.filter(request=req).exists()


# --- Accepting closes this request's offers only ---------------------------------------


def test_accepting_one_request_leaves_the_other_requests_offers_open(coordinator, district, res):
    from unittest import mock

    from django.utils import timezone

    first, second = volunteer(district), volunteer(district)
    morning = help_request(coordinator, res)
    afternoon = help_request(coordinator, res, start=at(13), end=at(14))
    mine, theirs = request_offer(
        help_request=morning, volunteers=[first, second], actor=coordinator
    )
    later = request_offer(help_request=afternoon, volunteers=[first, second], actor=coordinator)
    moment = dt.datetime(2030, 6, 1, 12, tzinfo=timezone.get_default_timezone())
    with mock.patch("django.utils.timezone.now", return_value=moment):
        offer_accept(offer=mine, volunteer=first)
    rows = {o.pk: (o.status, o.answered_at) for o in Offer.objects.all()}
    # The answer's time is in the volunteer's data disclosure ("Answered at").
    assert rows[mine.pk] == ("accepted", moment)
    assert rows[theirs.pk] == ("taken", None)
    assert [rows[o.pk] for o in later] == [("open", None), ("open", None)]
    # Both may still take the afternoon.
    assert offer_accept(offer=later[0], volunteer=first).request == afternoon


# --- Refusals the volunteer's app reads; the no-show ----------------------------------


def test_a_refused_step_on_the_api_names_the_step_and_the_state(coordinator, district, res):
    from django.test import Client

    helper = volunteer(district)
    assignment = request_assign(
        help_request=help_request(coordinator, res), volunteer=helper, actor=coordinator
    )
    assignment_start(assignment=assignment, actor=coordinator, at=at(10))
    assignment_finish(assignment=assignment, actor=coordinator, at=at(11))
    api = Client()
    api.force_login(helper)
    for step in ("start", "finish"):
        refused = api.post(f"/api/v1/assignments/{assignment.pk}/{step}/")
        assert refused.status_code == 409
        body = refused.json()
        assert body["code"] == "invalid_transition"
        assert body["details"] == {"step": step, "status": "done"}


def test_a_no_show_recorded_on_the_request_page_hides_the_residents_details_again(
    desk, coordinator, district, res
):
    helper = volunteer(district)
    req = help_request(coordinator, res)
    assignment = request_assign(help_request=req, volunteer=helper, actor=coordinator)
    assert resident_details_open(assignment=assignment, user=helper, via="page") == res
    page = desk.post(f"/admin/aid/requests/{req.pk}/no-show/", follow=True)
    assert page.status_code == 200
    req.refresh_from_db()
    assignment.refresh_from_db()
    assert (req.status, assignment.status) == ("no_show", "no_show")
    with pytest.raises(NotPermitted):
        resident_details_open(assignment=assignment, user=helper, via="page")
    with pytest.raises(InvalidTransition):  # recorded once
        assignment_no_show(assignment=assignment, actor=coordinator)


def test_help_confirmed_before_training_is_credited_once_after_it_from_the_request_page(
    client, coordinator, district, res
):
    """Help confirmed before the volunteer attended the training its rule requires
    waits on the request page; re-evaluating it before the training is refused, after
    it credits the rule for the work's day and minutes, once (a second POST adds
    nothing, and the button goes). Only coordinators may."""
    from django.test import Client
    from django.utils import timezone

    from points.models import Entry
    from tests.points.test_interfaces import signed_in_back_office
    from volunteers.models import TrainingSession
    from volunteers.services.insurance import training_attendance_record

    rule = EarningRule.objects.create(
        activity_kind="aid",
        name="支えあい",
        basis=EarningRule.Basis.PER_HOUR,
        points=100,
        requires_training=True,
        rounding_minutes=30,
    )
    shopping = category()
    shopping.earning_rule = rule
    shopping.save()
    helper = volunteer(district)
    req = help_request(coordinator, res, start=at(10), end=at(12))
    assignment = request_assign(help_request=req, volunteer=helper, actor=coordinator)
    assignment_start(assignment=assignment, actor=coordinator, at=at(10))
    assignment_finish(assignment=assignment, actor=coordinator, at=at(11, 30))
    assignment_confirm(
        assignment=assignment,
        actor=coordinator,
        cash_received_yen=0,
        cash_note="後日",
        minutes=90,
    )
    page = f"/admin/aid/requests/{req.pk}/"
    url = f"{page}reevaluate/"

    # A volunteer cannot credit themself.
    as_helper = Client()
    as_helper.force_login(helper)
    assert as_helper.post(url).status_code in (302, 403)
    signed_in_back_office(client, coordinator)
    html = client.get(page).content.decode()
    assert 'data-testid="reevaluate"' in html and "研修に出席した後" in html

    response = client.post(url, follow=True)
    assert "まだ研修に出席していません" in response.content.decode()
    assert wallet_balance(helper) == 0

    session = TrainingSession.objects.create(
        title="傾聴研修", starts_at=timezone.now() - dt.timedelta(days=1)
    )
    training_attendance_record(
        session=session, shown_ids=[helper.pk], attended_ids=[helper.pk], actor=coordinator
    )
    response = client.post(url, follow=True)
    assert "再評価しました：150 pt を付与しました。" in response.content.decode()
    assignment.refresh_from_db()
    txn = assignment.transaction
    assert (txn.idempotency_key, txn.activity_date, txn.requested_points) == (
        f"assignment:{assignment.pk}",
        at(10).date(),
        150,  # 90 minutes at 100 an hour
    )
    assert txn.rule == rule and txn.actor == coordinator
    assert wallet_balance(helper) == 150

    response = client.post(url, follow=True)
    assert "この支援は研修待ちではありません。" in response.content.decode()
    assert wallet_balance(helper) == 150
    assert Entry.objects.filter(transaction__reference=f"assignment:{assignment.pk}").count() == 2
    assert 'data-testid="reevaluate"' not in client.get(page).content.decode()


def test_only_help_waiting_for_training_can_be_reevaluated(coordinator, district, res):
    """Not confirmed yet, already credited, or a rule without the training requirement
    (or none): nothing to re-evaluate. Under the rule's minimum age on the work's day
    the rule still refuses."""
    from django.utils import timezone

    from accounts.models import User
    from points.exceptions import RuleNotApplicable
    from volunteers.models import TrainingSession
    from volunteers.services.help_requests import (
        assignment_awaits_training,
        assignment_reevaluate,
    )
    from volunteers.services.insurance import training_attendance_record

    helper = volunteer(district)
    session = TrainingSession.objects.create(
        title="傾聴研修", starts_at=timezone.now() - dt.timedelta(days=1)
    )
    training_attendance_record(
        session=session, shown_ids=[helper.pk], attended_ids=[helper.pk], actor=coordinator
    )
    shopping = category()

    def confirmed(start: int, *, confirm: bool = True):
        req = help_request(coordinator, res, start=at(start), end=at(start + 1))
        assignment = request_assign(help_request=req, volunteer=helper, actor=coordinator)
        assignment_start(assignment=assignment, actor=coordinator, at=at(start))
        assignment_finish(assignment=assignment, actor=coordinator, at=at(start + 1))
        if confirm:
            assignment_confirm(
                assignment=assignment, actor=coordinator, cash_received_yen=600, minutes=60
            )
        assignment.refresh_from_db()
        return assignment

    without_rule = confirmed(9)
    assert not assignment_awaits_training(without_rule, None)
    with pytest.raises(NotReevaluable):
        assignment_reevaluate(assignment=without_rule, actor=coordinator)

    plain = EarningRule.objects.create(
        activity_kind="aid", name="支えあい", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    shopping.earning_rule = plain
    shopping.save()
    credited = confirmed(11)
    assert credited.transaction is not None
    Assignment.objects.filter(pk=credited.pk).update(transaction=None)
    credited.refresh_from_db()
    assert not assignment_awaits_training(credited, plain)  # no training asked
    with pytest.raises(NotReevaluable):
        assignment_reevaluate(assignment=credited, actor=coordinator)

    plain.requires_training = True
    plain.save()
    done = confirmed(13, confirm=False)
    assert not assignment_awaits_training(done, plain)
    with pytest.raises(NotReevaluable):
        assignment_reevaluate(assignment=done, actor=coordinator)
    with pytest.raises(NotPermitted):
        assignment_reevaluate(assignment=credited, actor=helper)

    # Under the minimum age on the work's day: the rule refuses, nothing credited.
    young = volunteer(district)
    User.objects.filter(pk=young.pk).update(birth_date=at(9).date().replace(year=2015))
    plain.min_age = 18
    plain.save()
    req = help_request(coordinator, res, start=at(15), end=at(16))
    underage = request_assign(help_request=req, volunteer=young, actor=coordinator)
    assignment_start(assignment=underage, actor=coordinator, at=at(15))
    assignment_finish(assignment=underage, actor=coordinator, at=at(16))
    assignment_confirm(assignment=underage, actor=coordinator, cash_received_yen=600)
    training_attendance_record(
        session=session, shown_ids=[young.pk], attended_ids=[young.pk], actor=coordinator
    )
    underage.refresh_from_db()
    assert assignment_awaits_training(underage, plain)
    with pytest.raises(RuleNotApplicable):
        assignment_reevaluate(assignment=underage, actor=coordinator)
    underage.refresh_from_db()
    assert underage.transaction is None
    # Trained by now and still under age: confirming succeeds, without points.
    req = help_request(coordinator, res, start=at(13), end=at(14))
    later = request_assign(help_request=req, volunteer=young, actor=coordinator)
    assignment_start(assignment=later, actor=coordinator, at=at(13))
    assignment_finish(assignment=later, actor=coordinator, at=at(14))
    later = assignment_confirm(assignment=later, actor=coordinator, cash_received_yen=600)
    assert (later.status, later.transaction) == ("confirmed", None)
    assert wallet_balance(young) == 0
