"""Races on PostgreSQL with real parallel connections: reviewers moving the same
proposal, coordinators approving the same person."""

from __future__ import annotations

import pytest

from accounts.models import User
from cms.exceptions import ApplicationDecided, InvalidTransition
from cms.models import Proposal, ProposalHistory, ProposalStatus, VolunteerApplication
from cms.services.applications import volunteer_application_approve
from cms.services.proposals import BudgetLine, proposal_submit, proposal_transition
from tests.cms import support
from tests.factories import UserFactory
from tests.points.support import run_concurrently

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

THREADS = 8


def test_one_reviewer_wins_a_simultaneous_move(postgres, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    proposal = proposal_submit(
        call=support.call(),
        applicant=UserFactory(),
        fields={
            "group_name": "会",
            "representative": "代表",
            "members_count": 3,
            "years_active": 1,
            "title": "提案",
            "purpose": "p",
            "content": "c",
            "expected_effect": "e",
            "role_division": "r",
        },
        budget_lines=[BudgetLine("費目", 1000)],
    )
    reviewers = [UserFactory(roles=["city_staff"]) for _ in range(THREADS)]

    def move(reviewer):
        return lambda: proposal_transition(
            proposal_id=proposal.pk, to=ProposalStatus.SCREENING, actor=reviewer
        )

    outcomes = run_concurrently([move(r) for r in reviewers], threads=THREADS)
    moved = [o for o in outcomes if isinstance(o, Proposal)]
    refused = [o for o in outcomes if isinstance(o, InvalidTransition)]
    assert (len(moved), len(refused)) == (1, THREADS - 1), outcomes
    assert ProposalHistory.objects.filter(to_status=ProposalStatus.SCREENING).count() == 1


def test_simultaneous_approvals_create_one_account(postgres):
    applications = [
        VolunteerApplication.objects.create(
            full_name="新井 さくら", full_name_kana="アライ サクラ", email="sakura@example.jp"
        )
        for _ in range(2)
    ]
    coordinators = [UserFactory(roles=["coordinator"]) for _ in range(THREADS)]
    jobs = [
        (
            lambda app=applications[n % 2], who=who: volunteer_application_approve(
                application_id=app.pk, actor=who
            )
        )
        for n, who in enumerate(coordinators)
    ]
    outcomes = run_concurrently(jobs, threads=THREADS)
    approved = [o for o in outcomes if isinstance(o, User)]
    refused = [o for o in outcomes if isinstance(o, ApplicationDecided)]
    # Each application is approved exactly once; both lead to the same single account.
    assert (len(approved), len(refused)) == (2, THREADS - 2), outcomes
    assert User.objects.filter(email="sakura@example.jp").count() == 1
    user = User.objects.get(email="sakura@example.jp")
    assert user.has_role("volunteer")
    assert set(VolunteerApplication.objects.values_list("status", "user")) == {
        ("approved", user.pk)
    }


def test_the_same_submission_sent_at_once_is_stored_once(postgres, settings, tmp_path):
    import uuid

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    call, applicant, key = support.call(), UserFactory(), uuid.uuid4()
    fields = {
        "group_name": "会",
        "representative": "代表",
        "members_count": 3,
        "years_active": 1,
        "title": "提案",
        "purpose": "p",
        "content": "c",
        "expected_effect": "e",
        "role_division": "r",
    }

    def send():
        return proposal_submit(
            call=call,
            applicant=applicant,
            fields=fields,
            budget_lines=[BudgetLine("費目", 1000)],
            submission_key=key,
        )

    outcomes = run_concurrently([send] * THREADS, threads=THREADS)
    assert all(isinstance(o, Proposal) for o in outcomes), outcomes
    assert {o.pk for o in outcomes} == {Proposal.objects.get().pk}
    assert ProposalHistory.objects.count() == 1
