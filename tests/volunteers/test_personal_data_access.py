"""The personal data access log: every staff view, print and export of a resident's
details is logged (who, what, when, why) through the pages; exports need a reason;
city staff read the log (filters, export), nobody edits or deletes it, and on
PostgreSQL the database itself refuses UPDATE and DELETE."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone, translation

from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import help_request, resident, volunteer
from volunteers.admin.access_log import DEFAULT_REASON
from volunteers.models import Assignment, PersonalDataAccess
from volunteers.services.access_log import personal_data_access_record
from volunteers.services.help_requests import request_assign

pytestmark = pytest.mark.django_db

with translation.override("ja"):  # the pages are in Japanese: so is the stored reason
    DEFAULT = str(DEFAULT_REASON)


@pytest.fixture
def desk(client, coordinator):
    return signed_in_back_office(client, coordinator)


def entries(after: int = 0):
    return list(
        PersonalDataAccess.objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list("actor_id", "resident__full_name", "action", "reason")
    )


def test_opening_a_residents_page_and_form_is_logged_with_the_default_reason(desk, coordinator):
    person = resident(full_name="小林 トメ")
    assert desk.get(f"/admin/aid/residents/{person.pk}/").status_code == 200
    assert desk.get(f"/admin/aid_residents/edit/{person.pk}/").status_code == 200
    assert entries() == [
        (coordinator.pk, "小林 トメ", "view", DEFAULT),
        (coordinator.pk, "小林 トメ", "view", DEFAULT),
    ]
    first, second = PersonalDataAccess.objects.order_by("pk")
    assert first.resource == f"aid_resident /admin/aid/residents/{person.pk}/"
    assert second.resource.endswith(f"/admin/aid_residents/edit/{person.pk}/")
    assert timezone.now() - first.at < dt.timedelta(minutes=1)


def test_the_request_page_is_logged_and_carries_the_request_id(desk, coordinator):
    req = help_request(coordinator, resident(full_name="田中 ウメ"))
    response = desk.get(
        f"/admin/aid/requests/{req.pk}/", headers={"X-Request-ID": "proxy-req-abc-123"}
    )
    assert response.status_code == 200
    entry = PersonalDataAccess.objects.get()
    assert (entry.actor, entry.resident, entry.action) == (coordinator, req.resident, "view")
    assert entry.request_id == "proxy-req-abc-123"


def test_the_money_owed_list_logs_each_resident_and_the_receipt_is_a_print(desk, coordinator):
    district = DistrictFactory()
    helper = volunteer(district)
    owing = []
    for name in ("小林 トメ", "田中 ウメ"):
        req = help_request(coordinator, resident(district, full_name=name))
        assignment = request_assign(help_request=req, volunteer=helper, actor=coordinator)
        Assignment.objects.filter(pk=assignment.pk).update(
            status=Assignment.Status.CONFIRMED, fee_yen=700, cash_received_yen=500
        )
        owing.append(assignment)
    page = desk.get("/admin/aid/owed/").content.decode()
    assert "小林 トメ" in page and "田中 ウメ" in page
    assert sorted(entries()) == sorted(
        [
            (coordinator.pk, "小林 トメ", "view", DEFAULT),
            (coordinator.pk, "田中 ウメ", "view", DEFAULT),
        ]
    )
    seen = PersonalDataAccess.objects.latest("pk").pk
    receipt = desk.get(f"/admin/aid/assignments/{owing[0].pk}/receipt/")
    assert receipt.status_code == 200
    assert entries(after=seen) == [(coordinator.pk, "小林 トメ", "print", DEFAULT)]


def test_an_export_of_requests_asks_why_and_logs_each_resident_with_the_reason(desk, coordinator):
    first = help_request(coordinator, resident(full_name="小林 トメ"))
    help_request(coordinator, resident(full_name="田中 ウメ"))
    help_request(coordinator, first.resident)  # the same resident twice: logged once
    url = "/admin/aid/requests/?export=csv"

    asked = desk.get(url)
    assert asked.status_code == 200 and asked["Content-Type"].startswith("text/html")
    assert 'name="reason"' in asked.content.decode()
    assert "小林 トメ" not in asked.content.decode()
    assert entries() == []
    refused = desk.post(url, {"reason": "  "})
    assert refused.status_code == 400 and entries() == []

    response = desk.post(url, {"reason": "市への月次報告"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "小林 トメ" in text and "田中 ウメ" in text
    assert sorted(entries()) == sorted(
        [
            (coordinator.pk, "小林 トメ", "export", "市への月次報告"),
            (coordinator.pk, "田中 ウメ", "export", "市への月次報告"),
        ]
    )
    xlsx = desk.post("/admin/aid/requests/?export=xlsx", {"reason": "監査"})
    assert xlsx.status_code == 200 and PersonalDataAccess.objects.filter(reason="監査").count() == 2


def test_city_staff_read_filter_and_export_the_log_which_nobody_else_reads(client, coordinator):
    alice = resident(full_name="小林 トメ")
    bob = resident(full_name="田中 ウメ", full_name_kana="タナカ ウメ")
    other = UserFactory(roles=["coordinator"], full_name="別の 相談員")
    personal_data_access_record(
        actor=coordinator, residents=[alice], action="view", resource="r", reason="対応中"
    )
    old = PersonalDataAccess.objects.create(  # written 40 days ago (inserts are allowed)
        actor=other,
        resident=bob,
        action="export",
        resource="r",
        reason="月次報告",
        at=timezone.now() - dt.timedelta(days=40),
    )

    staff = signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    page = staff.get("/admin/aid/personal-data-access/").content.decode()
    assert "小林 トメ" in page and "田中 ウメ" in page and "月次報告" in page

    def shown(query: str) -> set[str]:
        page = staff.get(f"/admin/aid/personal-data-access/?{query}").content.decode()
        cells = {cell.strip() for cell in re.findall(r"<td[^>]*>([^<]*)</td>", page)}
        return cells & {"対応中", "月次報告"}

    assert shown("") == {"対応中", "月次報告"}
    assert shown(f"actor={other.pk}") == {"月次報告"}
    assert shown(f"resident={alice.pk}") == {"対応中"}
    assert shown("resident_name=たなか") == {"月次報告"}  # kana in any script
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert shown(f"at_from={since}") == {"対応中"}
    export = staff.get("/admin/aid/personal-data-access/?export=csv")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "小林 トメ" in text and "月次報告" in text and coordinator.email in text

    # Read-only: the page takes no POST, and no edit or delete view exists.
    assert staff.post("/admin/aid/personal-data-access/", {}).status_code == 405
    assert staff.get(f"/admin/aid/personal-data-access/{old.pk}/delete/").status_code == 404
    assert PersonalDataAccess.objects.count() == 2

    # Coordinators (whose views are logged) do not read the log.
    assert Client().get("/admin/aid/personal-data-access/").status_code == 302
    desk = signed_in_back_office(Client(), UserFactory(roles=["coordinator"]))
    assert desk.get("/admin/aid/personal-data-access/").status_code in (302, 403)


@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_to_change_or_delete_a_log_entry(postgres, reference_data):
    actor = UserFactory(roles=["coordinator"])
    personal_data_access_record(
        actor=actor, residents=[resident()], action="view", resource="r", reason="対応中"
    )
    entry = PersonalDataAccess.objects.get()
    for statement in (
        lambda: PersonalDataAccess.objects.filter(pk=entry.pk).update(reason="改ざん"),
        lambda: PersonalDataAccess.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            statement()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM volunteers_personaldataaccess")
    assert PersonalDataAccess.objects.get().reason == "対応中"


def test_a_volunteers_look_at_their_residents_details_is_in_the_same_log(client, coordinator):
    district = DistrictFactory()
    helper = volunteer(district)
    req = help_request(coordinator, resident(district, full_name="小林 トメ"))
    assignment = request_assign(help_request=req, volunteer=helper, actor=coordinator)
    client.force_login(helper)
    page = client.get(f"/me/assignments/{assignment.pk}/").content.decode()
    assert "小林 トメ" in page
    (entry,) = PersonalDataAccess.objects.all()
    assert (entry.actor, entry.resident, entry.action) == (helper, req.resident, "view")
    assert entry.resource == f"assignment {assignment.pk} (page)"
