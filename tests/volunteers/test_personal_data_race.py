"""Erasure racing the things that write about the person, on PostgreSQL with real
parallel connections: whichever commits first, no open request and no free text is
left about an anonymised resident, and the retention job anonymises each person once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import DistrictFactory, UserFactory
from tests.points.support import run_concurrently
from tests.volunteers.aid import category, resident
from volunteers.exceptions import ResidentLeft
from volunteers.models import HelpRequest, Resident
from volunteers.services.help_requests import request_receive
from volunteers.services.personal_data import resident_erase, retention_run

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def tomorrow(hour: int) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def test_intake_racing_erasure_leaves_nothing_open_about_the_person(postgres, reference_data):
    coordinator = UserFactory(roles=["coordinator"])
    city = UserFactory(roles=["city_staff"])
    for _ in range(5):
        res = resident(DistrictFactory())
        jobs = [
            lambda res=res, h=h: request_receive(
                actor=coordinator,
                resident=res,  # as loaded before the erasure: stale on purpose
                category=category("shopping"),
                starts_at=tomorrow(9 + h),
                ends_at=tomorrow(10 + h),
                notes="鍵は植木鉢の下",
            )
            for h in range(4)
        ]
        jobs.append(lambda res=res: resident_erase(resident=res, actor=city, reason="消去請求"))
        outcomes = run_concurrently(jobs, threads=5)
        assert all(isinstance(o, HelpRequest | Resident | ResidentLeft) for o in outcomes), outcomes
        assert Resident.objects.get(pk=res.pk).anonymised_at is not None
        left = HelpRequest.objects.filter(resident=res)
        assert not left.exclude(status="cancelled").exists()
        assert not left.exclude(notes="").exists()


def test_parallel_retention_runs_anonymise_each_person_once(postgres, reference_data):
    gone = [resident(DistrictFactory()) for _ in range(6)]
    Resident.objects.filter(pk__in=[r.pk for r in gone]).update(
        left_on=timezone.localdate() - dt.timedelta(days=4000), active=False
    )
    outcomes = run_concurrently([retention_run for _ in range(4)], threads=4)
    assert sum(run.residents for run in outcomes) == 6, outcomes
    assert (
        Resident.objects.filter(anonymised_at__isnull=True, pk__in=[r.pk for r in gone]).count()
        == 0
    )


def test_city_staff_publishing_a_wording_at_once_get_one_version_each(postgres, reference_data):
    from volunteers.models import Wording
    from volunteers.services.consent import wording_publish

    staff = [UserFactory(roles=["city_staff"]) for _ in range(6)]
    outcomes = run_concurrently(
        [
            lambda who=who, n=n: wording_publish(kind="pledge", text=f"第{n}版", actor=who)
            for n, who in enumerate(staff)
        ],
        threads=6,
    )
    assert all(isinstance(o, Wording) for o in outcomes), outcomes
    versions = sorted(Wording.objects.filter(kind="pledge").values_list("version", flat=True))
    assert versions == list(range(1, 8))
