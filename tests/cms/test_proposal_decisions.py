"""Deciding collaboration proposals (issue #17 item 4): the applicant told of every
status change with the reviewer's message (once per change, never to anyone else),
scoring sheets per reviewer, the public notice of hearings and published results."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from cms.models import (
    CallResultsPublication,
    Proposal,
    ProposalCriterion,
    ProposalHearing,
    ProposalHistory,
    ProposalStatus,
    ProposalTrack,
    ScoreSheet,
)
from cms.services.decisions import call_results_publish
from cms.services.proposals import proposal_transition
from cms.tasks import send_proposal_status_notice
from core.errors import NotPermitted
from tests.cms import support
from tests.cms.test_proposals import form_data, make_proposal, submit
from tests.factories import UserFactory
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Attachments go to this test's folder (as in ``test_proposals``)."""
    from cms.models import private_storage

    def point_at(location):
        private_storage._location = location
        private_storage.__dict__.pop("base_location", None)
        private_storage.__dict__.pop("location", None)

    previous = private_storage._location
    point_at(str(tmp_path / "private"))
    yield
    point_at(previous)


@pytest.fixture
def applicant():
    return UserFactory(full_name="市民 一郎", full_name_kana="シミン イチロウ")


@pytest.fixture
def open_call():
    return support.call(ProposalTrack.CITIZEN, slug="citizen")


def review(client, proposal, to, message=""):
    """A reviewer's step through the admin page; the commit's callbacks (the notice
    task, eager in tests) run as a real commit would run them."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            f"/admin/proposals/{proposal.pk}/review/", {"to_status": to, "comment": message}
        )


def close(call):
    call.closes_at = timezone.now() - dt.timedelta(minutes=1)
    call.save_revision().publish()
    return call


# --- 1. Notices of each status change --------------------------------------------------


def test_each_status_change_is_emailed_once_with_the_reviewers_message(
    client, applicant, open_call
):
    proposal = make_proposal(client, applicant, open_call)
    other = UserFactory(full_name="別の 申請者")
    client.force_login(other)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            f"{open_call.url}submit/", form_data(group_name="ひまわり会", title="子ども食堂")
        )
    client.logout()
    mail.outbox.clear()  # the two receipts

    signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    assert review(client, proposal, "screening", "書類を確認しています。").status_code == 302
    assert review(client, proposal, "hearing", "12月20日の公開ヒアリングにお越しください。")
    assert review(client, proposal, "accepted", "採択とします。おめでとうございます。")

    assert [message.to for message in mail.outbox] == [[applicant.email]] * 3
    bodies = [message.body for message in mail.outbox]
    assert "書類を確認しています。" in bodies[0] and "審査中" in mail.outbox[0].subject
    assert "公開ヒアリングにお越しください" in bodies[1]
    assert "おめでとうございます" in bodies[2] and proposal.reference in mail.outbox[2].subject
    steps = ProposalHistory.objects.filter(proposal=proposal).exclude(from_status="")
    assert all(step.notice_sent_at for step in steps)

    # A rerun task (redelivered, retried) sends nothing again.
    for step in steps:
        assert send_proposal_status_notice.delay(step.pk).get() is False
    assert len(mail.outbox) == 3

    # The applicant's page shows the history with the messages; another's does not.
    client.force_login(applicant)
    page = client.get("/me/proposals/").content.decode()
    assert "審査からのメッセージ" in page
    assert "書類を確認しています。" in page and "おめでとうございます" in page
    client.force_login(other)
    assert "おめでとうございます" not in client.get("/me/proposals/").content.decode()


def test_a_notice_another_attempt_is_sending_is_not_sent_twice(client, applicant, open_call):
    """While another attempt holds the claim the task fails with a transient error (the
    worker retries it); once released, one mail, and none on a rerun."""
    from django.core.cache import cache

    from core.outbox import SendClaimed

    proposal = make_proposal(client, applicant, open_call)
    mail.outbox.clear()
    staff = UserFactory(roles=["city_staff"])
    proposal_transition(proposal_id=proposal.pk, to="screening", actor=staff, comment="確認中")
    step = proposal.history.last()  # its on-commit task never ran: the test never commits
    claim = f"outbox:claim:cms.proposal-status:{step.pk}"
    cache.add(claim, "another-attempt", 60)
    with pytest.raises(SendClaimed):
        send_proposal_status_notice.delay(step.pk)
    assert mail.outbox == []
    cache.delete(claim)
    assert send_proposal_status_notice.delay(step.pk).get() is True
    assert send_proposal_status_notice.delay(step.pk).get() is False
    assert len(mail.outbox) == 1 and "確認中" in mail.outbox[0].body


def test_a_deactivated_applicant_is_not_mailed(client, applicant, open_call):
    proposal = make_proposal(client, applicant, open_call)
    mail.outbox.clear()
    applicant.is_active = False
    applicant.save(update_fields=["is_active"])
    signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    assert review(client, proposal, "screening", "確認中").status_code == 302
    assert mail.outbox == [] and proposal.history.last().notice_sent_at is None


def test_a_withdrawal_sends_no_notice(client, applicant, open_call):
    proposal = make_proposal(client, applicant, open_call)
    mail.outbox.clear()
    client.force_login(applicant)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/me/proposals/{proposal.pk}/withdraw/", {"comment": "都合により"})
    assert mail.outbox == []
    step = proposal.history.last()
    assert send_proposal_status_notice.delay(step.pk).get() is False
    assert mail.outbox == []


def test_a_paper_proposal_moves_on_without_any_email(client, open_call):
    from tests.cms.test_paper_proposals import enter

    signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    assert enter(client, open_call).status_code == 302
    proposal = Proposal.objects.get(received_on_paper=True)
    mail.outbox.clear()
    assert review(client, proposal, "screening", "電話でお伝えします").status_code == 302
    assert mail.outbox == []
    assert send_proposal_status_notice.delay(proposal.history.last().pk).get() is False


def test_other_roles_cannot_change_the_status(client, applicant, open_call):
    proposal = make_proposal(client, applicant, open_call)
    mail.outbox.clear()
    signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    refused = review(client, proposal, "screening", "x")
    assert refused.status_code in (302, 403)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED and mail.outbox == []


# --- 3. Scoring sheets -------------------------------------------------------------------


def criteria(call):
    return [
        ProposalCriterion.objects.create(call=call, name="公益性", position=1),
        ProposalCriterion.objects.create(call=call, name="実現性", position=2),
    ]


def score(client, proposal, items, comment=""):
    data = {"comment": comment}
    for criterion, (value, note) in items.items():
        data[f"score_{criterion.pk}"] = str(value)
        data[f"comment_{criterion.pk}"] = note
    return client.post(f"/admin/proposals/{proposal.pk}/score/", data)


def test_one_sheet_per_reviewer_with_totals_and_averages_until_the_decision(
    client, applicant, open_call
):
    proposal = make_proposal(client, applicant, open_call)
    public_good, feasible = criteria(open_call)
    first = UserFactory(roles=["city_staff"], full_name="審査 一子")
    second = UserFactory(roles=["city_staff"], full_name="審査 二郎")

    signed_in_back_office(client, first)
    assert client.get(f"/admin/proposals/{proposal.pk}/score/").status_code == 200
    assert score(client, proposal, {public_good: (3, ""), feasible: (2, "")}).status_code == 302
    # Editing again keeps one sheet and replaces its scores.
    assert score(client, proposal, {public_good: (5, "地域の課題に合う"), feasible: (4, "")})
    out_of_range = score(client, proposal, {public_good: (6, ""), feasible: (4, "")})
    assert out_of_range.status_code == 200  # a form error; nothing changed
    client.logout()
    signed_in_back_office(client, second)
    score(client, proposal, {public_good: (3, ""), feasible: (2, "")}, comment="予算が大きい")

    assert ScoreSheet.objects.filter(proposal=proposal).count() == 2
    page = client.get(f"/admin/proposals/{proposal.pk}/review/").content.decode()
    assert "審査 一子" in page and "審査 二郎" in page and "地域の課題に合う" in page
    assert "予算が大きい" in page
    assert ">8<" in page  # 公益性: 5 + 3
    assert ">4.0<" in page  # 公益性 average
    assert ">7.0<" in page  # the reviewers' totals, 9 and 5, averaged

    review(client, proposal, "screening")
    review(client, proposal, "declined", "今回は見送ります。")
    late = score(client, proposal, {public_good: (1, ""), feasible: (1, "")})
    assert late.status_code == 200 and "審査が終わった" in late.content.decode()
    sheet = ScoreSheet.objects.get(proposal=proposal, reviewer=second)
    assert sorted(sheet.scores.values_list("score", flat=True)) == [2, 3]


def test_the_scoring_sheet_names_its_proposal_and_its_scale(client, applicant, open_call):
    """The slim header shows only the last breadcrumb: it carries the proposal, so a
    reviewer sees which proposal they score (not only 採点票), and the scale's ends."""
    proposal = make_proposal(client, applicant, open_call)
    criteria(open_call)
    client.logout()
    signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    page = client.get(f"/admin/proposals/{proposal.pk}/score/")
    label = f"採点票：{proposal.title}（{proposal.group_name}）"
    assert page.context["breadcrumbs_items"][-1]["label"] == label
    html = page.content.decode()
    assert html.count(label) >= 3  # the breadcrumb, the hidden h1 and <title>
    assert "各項目を1（低い）〜5（高い）で採点してください。" in html


def test_city_staff_define_each_calls_criteria_in_the_back_office(client, open_call):
    signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    added = client.post(
        "/admin/proposal_criteria/new/",
        {"call": open_call.pk, "name": "先駆性", "description": "新しい取組か", "position": "1"},
    )
    assert added.status_code == 302
    assert list(ProposalCriterion.objects.values_list("call", "name")) == [(open_call.pk, "先駆性")]
    for url in ("/admin/proposal_criteria/", "/admin/proposal_hearings/"):
        listing = client.get(url)
        assert listing.status_code == 200
    assert "先駆性" in client.get("/admin/proposal_criteria/").content.decode()
    client.logout()
    signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    assert client.get("/admin/proposal_criteria/").status_code in (302, 403)


def test_only_city_staff_score(client, applicant, open_call):
    proposal = make_proposal(client, applicant, open_call)
    public_good, feasible = criteria(open_call)
    signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    refused = score(client, proposal, {public_good: (5, ""), feasible: (5, "")})
    assert refused.status_code in (302, 403)
    client.force_login(applicant)
    assert score(client, proposal, {public_good: (5, ""), feasible: (5, "")}).status_code in (
        302,
        403,
    )
    assert not ScoreSheet.objects.exists()


# --- 2. Hearings -------------------------------------------------------------------------


def test_hearing_notice_lists_upcoming_hearings_without_personal_data(client, applicant, open_call):
    proposal = make_proposal(client, applicant, open_call)
    signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    start = support.in_days(10, hour=14)
    response = client.post(
        "/admin/proposal_hearings/new/",
        {
            "call": open_call.pk,
            "proposal": proposal.pk,
            "title": "第1回公開ヒアリング",
            "starts_at": timezone.localtime(start).strftime("%Y-%m-%d %H:%M"),
            "ends_at": "",
            "place": "市役所本庁舎 3階会議室",
            "notes": "傍聴できます。",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ProposalHearing.objects.create(
        call=open_call, title="終わった審査会", starts_at=support.in_days(-3), place="旧会場"
    )
    ProposalHearing.objects.create(
        call=open_call, title="最終審査会", starts_at=support.in_days(20), place="市民会館"
    )
    client.force_login(UserFactory())
    submit(client, open_call, group_name="見送り会", title="見送られた事業")
    client.logout()
    dropped = Proposal.objects.get(title="見送られた事業")
    ProposalHearing.objects.create(
        call=open_call, proposal=dropped, title="個別ヒアリング", starts_at=start, place="会議室"
    )
    signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    review(client, dropped, "screening")
    review(client, dropped, "declined")
    # A proposal to another call cannot be heard under this one.
    other_call = support.call(ProposalTrack.CITIZEN, slug="other")
    wrong = client.post(
        "/admin/proposal_hearings/new/",
        {
            "call": other_call.pk,
            "proposal": proposal.pk,
            "title": "取り違え",
            "starts_at": timezone.localtime(start).strftime("%Y-%m-%d %H:%M"),
            "place": "x",
        },
    )
    assert wrong.status_code == 200 and not ProposalHearing.objects.filter(title="取り違え")
    client.logout()

    page = client.get(f"{open_call.url}hearings/").content.decode()
    assert "第1回公開ヒアリング" in page and "市役所本庁舎 3階会議室" in page
    assert proposal.group_name in page and proposal.title in page
    assert "終わった審査会" not in page and "最終審査会" in page
    assert "見送られた事業" not in page and "個別ヒアリング" not in page
    for personal in (proposal.representative, applicant.email, applicant.full_name):
        assert personal not in page
    assert proposal.purpose not in page and proposal.reference not in page

    client.force_login(applicant)
    assert "第1回公開ヒアリング" in client.get("/me/proposals/").content.decode()


def test_other_roles_cannot_add_hearings(client, open_call):
    signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    response = client.post(
        "/admin/proposal_hearings/new/",
        {"call": open_call.pk, "title": "x", "starts_at": "2030-01-01 10:00", "place": "x"},
    )
    assert response.status_code in (302, 403)
    assert not ProposalHearing.objects.exists()


# --- 4. Published results ----------------------------------------------------------------


def test_results_are_invisible_before_publication_and_list_only_accepted_ones_after(
    client, applicant, open_call
):
    accepted = make_proposal(client, applicant, open_call)
    client.force_login(UserFactory())
    submit(client, open_call, group_name="ひまわり会", title="子ども食堂", purpose="居場所づくり")
    client.logout()
    declined = Proposal.objects.exclude(pk=accepted.pk).get()

    signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    for step in ("screening", "hearing", "accepted"):
        review(client, accepted, step)
    review(client, declined, "screening")
    review(client, declined, "declined", "見送り")

    results_url = f"{open_call.url}results/"
    # Still open: publishing is refused.
    refused = client.post(f"/admin/calls/{open_call.pk}/results/", {"remarks": ""})
    assert refused.status_code == 200 and not CallResultsPublication.objects.exists()
    assert "募集期間中は審査結果を公表できません。" in refused.content.decode()
    # The refusal is the call's, shown above the form, not as a fault of the remarks.
    assert refused.context["form"].non_field_errors() == ["募集期間中は審査結果を公表できません。"]
    assert not refused.context["form"].has_error("remarks")
    close(open_call)
    client.logout()
    before = client.get(results_url).content.decode()
    assert "まだ公表されていません" in before
    assert accepted.title not in before and declined.title not in before

    # Another role cannot publish (the page nor the service).
    signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    client.post(f"/admin/calls/{open_call.pk}/results/", {"remarks": ""})
    assert not CallResultsPublication.objects.exists()
    with pytest.raises(NotPermitted):
        call_results_publish(call_id=open_call.pk, actor=UserFactory(roles=["coordinator"]))
    client.logout()

    signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    page = client.get(f"/admin/calls/{open_call.pk}/results/")
    assert page.status_code == 200
    published = client.post(
        f"/admin/calls/{open_call.pk}/results/", {"remarks": "ご応募ありがとうございました。"}
    )
    assert published.status_code == 302
    client.logout()

    after = client.get(results_url).content.decode()
    assert accepted.title in after and accepted.group_name in after and accepted.purpose in after
    assert declined.title not in after and declined.group_name not in after
    assert "見送り" not in after and accepted.representative not in after
    assert "ご応募ありがとうございました。" in after
    assert "応募 2件" in after and "採択 1件" in after and "不採択 1件" in after
