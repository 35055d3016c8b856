"""Collaboration proposals: submission rules (window, group size, attachments, spam),
all-or-nothing storage, private attachments, review transitions and export."""

import io
from pathlib import Path

import openpyxl
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone

from cms.exceptions import InvalidTransition
from cms.models import (
    Proposal,
    ProposalAttachment,
    ProposalBudgetLine,
    ProposalHistory,
    ProposalStatus,
    ProposalTrack,
)
from cms.services.proposals import proposal_transition
from core.errors import NotPermitted
from tests.cms import support
from tests.factories import UserFactory
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    from cms.models import private_storage

    def point_at(location):
        # The storage reads its location once; point it at this test's folder.
        private_storage._location = location
        private_storage.__dict__.pop("base_location", None)
        private_storage.__dict__.pop("location", None)

    previous = private_storage._location
    point_at(str(settings.PRIVATE_MEDIA_ROOT))
    yield settings.PRIVATE_MEDIA_ROOT
    point_at(previous)


@pytest.fixture
def applicant():
    return UserFactory(full_name="市民 一郎", full_name_kana="シミン イチロウ")


@pytest.fixture
def open_call():
    return support.call(ProposalTrack.CITIZEN, slug="citizen")


def form_data(**overrides):
    data = {
        "group_name": "みどり見守り隊",
        "representative": "市民 一郎",
        "members_count": "5",
        "years_active": "2",
        "title": "見守り散歩",
        "purpose": "孤立を防ぐ",
        "content": "月2回の散歩",
        "expected_effect": "外出機会が増える",
        "role_division": "団体が運営、市が広報",
        "website": "",
        "budget-TOTAL_FORMS": "2",
        "budget-INITIAL_FORMS": "0",
        "budget-MIN_NUM_FORMS": "1",
        "budget-MAX_NUM_FORMS": "30",
        "budget-0-item": "消耗品費",
        "budget-0-amount_yen": "30000",
        "budget-1-item": "会場使用料",
        "budget-1-amount_yen": "24000",
    }
    data.update(overrides)
    return data


def submit(client, call, files=(), **overrides):
    """Post the form as a browser would. The test's transaction never commits, so the
    on-commit callbacks (the confirmation email) are run here, as a real commit would:
    otherwise an email sent by a refused submission could never show in the outbox."""
    data = form_data(**overrides)
    if files:
        data["attachments"] = list(files)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"{call.url}submit/", data)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_nothing_stored(root):
    assert not Proposal.objects.exists()
    assert not ProposalBudgetLine.objects.exists()
    assert not ProposalAttachment.objects.exists()
    assert not ProposalHistory.objects.exists()
    assert stored_files(root) == []
    assert mail.outbox == []


def test_signed_in_group_submits_with_budget_and_attachments(
    client, applicant, open_call, private_root
):
    client.force_login(applicant)
    files = [
        SimpleUploadedFile("提案書.pdf", support.pdf_bytes()),
        SimpleUploadedFile("団体概要.docx", support.docx_bytes()),
        SimpleUploadedFile("予算書.xlsx", support.xlsx_bytes()),
    ]
    response = submit(client, open_call, files)
    assert response.status_code == 302 and response["Location"] == "/me/proposals/"

    proposal = Proposal.objects.get()
    assert (proposal.applicant, proposal.call_id, proposal.status) == (
        applicant,
        open_call.pk,
        ProposalStatus.SUBMITTED,
    )
    assert proposal.budget_total == 54000
    assert sorted(a.kind for a in proposal.attachments.all()) == ["docx", "pdf", "xlsx"]
    assert len(stored_files(private_root)) == 3
    assert [h.to_status for h in proposal.history.all()] == [ProposalStatus.SUBMITTED]
    # Confirmation email, once, after commit (Celery task, eager in tests).
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [applicant.email]
    assert proposal.reference in mail.outbox[0].subject
    proposal.refresh_from_db()
    assert proposal.confirmation_sent_at is not None
    from cms.tasks import send_proposal_confirmation

    assert send_proposal_confirmation(proposal.pk) is False and len(mail.outbox) == 1

    page = client.get("/me/proposals/").content.decode()
    assert "見守り散歩" in page and proposal.reference in page and "54,000" in page


def test_a_receipt_another_attempt_is_sending_is_not_sent_twice(
    client, applicant, open_call, private_root
):
    """Claim -> send -> mark: while another attempt holds the claim the task fails
    with a transient error (the worker retries it); once released, one mail."""
    from django.core.cache import cache

    from cms.tasks import send_proposal_confirmation
    from core.outbox import SendClaimed

    client.force_login(applicant)
    client.post(f"{open_call.url}submit/", form_data())  # its on-commit task never runs
    proposal = Proposal.objects.get()
    cache.add(f"outbox:claim:cms.proposal-received:{proposal.pk}", "another-attempt", 60)
    with pytest.raises(SendClaimed):
        send_proposal_confirmation.delay(proposal.pk)
    proposal.refresh_from_db()
    assert mail.outbox == [] and proposal.confirmation_sent_at is None
    cache.delete(f"outbox:claim:cms.proposal-received:{proposal.pk}")
    assert send_proposal_confirmation.delay(proposal.pk).get() is True
    assert send_proposal_confirmation.delay(proposal.pk).get() is False
    assert len(mail.outbox) == 1


def test_anonymous_visitors_are_sent_to_sign_in(client, open_call):
    response = client.get(f"{open_call.url}submit/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(f"{open_call.url}submit/", form_data()).status_code == 302
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("window", [(-30, -1), (3, 30)], ids=["closed", "not-yet-open"])
def test_outside_the_window_is_refused_and_nothing_stored(client, applicant, private_root, window):
    call = support.call(opens=window[0], closes=window[1], slug="closed")
    client.force_login(applicant)
    response = submit(client, call, [SimpleUploadedFile("a.pdf", support.pdf_bytes())])
    assert response.status_code == 422
    assert "受け付けていません" in " ".join(response.context["form"].non_field_errors())
    assert_nothing_stored(private_root)


def test_window_is_checked_by_the_service_too(
    applicant, open_call, private_root, django_capture_on_commit_callbacks
):
    from cms.exceptions import CallClosed
    from cms.services.proposals import BudgetLine, proposal_submit

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CallClosed):
        proposal_submit(
            call=open_call,
            applicant=applicant,
            fields={k: v for k, v in form_data().items() if not k.startswith("budget")},
            budget_lines=[BudgetLine("x", 1)],
            at=open_call.closes_at,
        )
    assert_nothing_stored(private_root)


def test_group_of_two_is_refused_with_a_field_error(client, applicant, open_call, private_root):
    client.force_login(applicant)
    response = submit(
        client, open_call, [SimpleUploadedFile("a.pdf", support.pdf_bytes())], members_count="2"
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "members_count" in form.errors
    assert "3" in form.errors["members_count"][0]
    assert_nothing_stored(private_root)


def test_fifty_megabyte_attachment_is_refused(client, applicant, open_call, private_root):
    client.force_login(applicant)
    big = SimpleUploadedFile("大きい.pdf", support.pdf_bytes() + b"0" * (50 * 1024 * 1024))
    ok = SimpleUploadedFile("ok.pdf", support.pdf_bytes())
    response = submit(client, open_call, [ok, big])
    assert response.status_code == 400
    errors = response.context["form"].errors["attachments"]
    assert any("大きい.pdf" in e and "10.0" in e for e in errors), errors
    assert_nothing_stored(private_root)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", support.exe_bytes()),
        ("report.pdf", support.exe_bytes()),  # an executable renamed
        ("budget.xlsx", support.docx_bytes()),  # a Word file renamed
        ("plain.docx", b"PK\x03\x04not really a zip"),
        ("script.pdf", b"#!/bin/sh\nrm -rf /\n"),
    ],
)
def test_executables_and_disguised_files_are_refused(
    client, applicant, open_call, private_root, name, content
):
    client.force_login(applicant)
    response = submit(client, open_call, [SimpleUploadedFile(name, content)])
    assert response.status_code == 400
    assert name in " ".join(response.context["form"].errors["attachments"])
    assert_nothing_stored(private_root)


def test_honeypot_and_rate_limit_hold_off_spam(client, applicant, open_call, settings):
    client.force_login(applicant)
    response = submit(client, open_call, website="http://spam.example/")
    assert response.status_code == 400 and not Proposal.objects.exists()

    settings.PROPOSAL_SUBMIT_LIMIT = 3  # the bot's attempt counts as one
    for n in range(2):
        assert submit(client, open_call, title=f"提案{n}").status_code == 302
    refused = submit(client, open_call, title="三通目")
    assert refused.status_code == 429
    assert Proposal.objects.count() == 2


def test_missing_budget_is_a_field_error(client, applicant, open_call):
    client.force_login(applicant)
    response = submit(
        client,
        open_call,
        **{
            "budget-0-item": "",
            "budget-0-amount_yen": "",
            "budget-1-item": "",
            "budget-1-amount_yen": "",
        },
    )
    assert response.status_code == 400 and not Proposal.objects.exists()


# --- Attachments are private --------------------------------------------------------


def test_only_the_applicant_and_city_staff_download_attachments(client, applicant, open_call):
    client.force_login(applicant)
    submit(client, open_call, [SimpleUploadedFile("提案書.pdf", support.pdf_bytes())])
    attachment = ProposalAttachment.objects.get()
    url = f"/proposals/attachments/{attachment.pk}/"
    # Stored outside MEDIA_ROOT: no public URL exists for it.
    with pytest.raises(ValueError):
        attachment.file.url  # noqa: B018

    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert "attachment" in response["Content-Disposition"]

    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(roles=["coordinator"]))
    assert client.get(url).status_code == 404
    # City staff open it through their role: only once this session passed MFA.
    staff = UserFactory(roles=["city_staff"])
    client.force_login(staff)  # no MFA record (e.g. an emailed code)
    refused = client.get(url)
    assert refused.status_code == 302
    assert refused["Location"] == f"/accounts/2fa/totp/activate/?next={url}"
    client.logout()
    signed_in_back_office(client, staff)
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302


# --- Review ---------------------------------------------------------------------------


def make_proposal(client, applicant, call) -> Proposal:
    client.force_login(applicant)
    assert submit(client, call).status_code == 302
    client.logout()
    return Proposal.objects.get()


def test_transitions_follow_the_allowed_predecessors(client, applicant, open_call):
    proposal = make_proposal(client, applicant, open_call)
    staff = UserFactory(roles=["city_staff"])
    with pytest.raises(InvalidTransition):
        proposal_transition(proposal_id=proposal.pk, to=ProposalStatus.ACCEPTED, actor=staff)
    with pytest.raises(NotPermitted):
        proposal_transition(proposal_id=proposal.pk, to=ProposalStatus.SCREENING, actor=applicant)
    proposal_transition(
        proposal_id=proposal.pk, to=ProposalStatus.SCREENING, actor=staff, comment="書類確認"
    )
    proposal_transition(proposal_id=proposal.pk, to=ProposalStatus.HEARING, actor=staff)
    proposal_transition(proposal_id=proposal.pk, to=ProposalStatus.ACCEPTED, actor=staff)
    with pytest.raises(InvalidTransition):
        proposal_transition(proposal_id=proposal.pk, to=ProposalStatus.DECLINED, actor=staff)
    steps = list(proposal.history.values_list("from_status", "to_status", "comment"))
    assert steps == [
        ("", "submitted", ""),
        ("submitted", "screening", "書類確認"),
        ("screening", "hearing", ""),
        ("hearing", "accepted", ""),
    ]


def test_applicant_withdraws_their_own_proposal(client, applicant, open_call):
    proposal = make_proposal(client, applicant, open_call)
    client.force_login(UserFactory())
    client.post(f"/me/proposals/{proposal.pk}/withdraw/")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED
    client.force_login(applicant)
    assert client.post(f"/me/proposals/{proposal.pk}/withdraw/").status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.WITHDRAWN
    assert "取り下げ" in client.get("/me/proposals/").content.decode()


def test_staff_review_in_the_admin_and_export(client, applicant, open_call):
    proposal = make_proposal(client, applicant, open_call)
    staff = UserFactory(roles=["city_staff"])
    signed_in_back_office(client, staff)

    listing = client.get("/admin/proposals/")
    assert listing.status_code == 200 and "見守り散歩" in listing.content.decode()
    review = client.get(f"/admin/proposals/{proposal.pk}/review/")
    assert review.status_code == 200 and "54,000" in review.content.decode()
    bad = client.post(f"/admin/proposals/{proposal.pk}/review/", {"to_status": "accepted"})
    assert bad.status_code == 200  # not an allowed next step: a form error
    response = client.post(
        f"/admin/proposals/{proposal.pk}/review/",
        {"to_status": "screening", "comment": "受付しました"},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SCREENING
    assert proposal.history.last().actor == staff

    csv_text = b"".join(client.get("/admin/proposals/?export=csv").streaming_content)
    assert "見守り散歩" in csv_text.decode("utf-8-sig")
    xlsx = client.get("/admin/proposals/?export=xlsx")
    assert xlsx.status_code == 200
    content = xlsx.content if not xlsx.streaming else b"".join(xlsx.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    row = [cell.value for cell in sheet[2]]
    assert "見守り散歩" in row
    # The status as staff read it, and the submission time in Tokyo wall-clock time.
    assert str(ProposalStatus.SCREENING.label) in row and "screening" not in row
    submitted = timezone.localtime(proposal.submitted_at).replace(tzinfo=None, microsecond=0)
    assert submitted in row


#: The export's header row for Japanese staff: no attribute names, no English.
EXPECTED_HEADINGS_JA = [
    "番号",
    "受付番号",
    "募集",
    "事業名",
    "団体名",
    "代表者",
    "構成員数",
    "活動年数",
    "目的",
    "事業内容",
    "期待される効果",
    "市との役割分担",
    "予算合計",
    "状態",
    "紙で受付",
    "受付日",
    "提出日時",
]


def test_export_headings_are_translated(client, applicant, open_call):
    import csv

    proposal = make_proposal(client, applicant, open_call)
    signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    csv_text = b"".join(client.get("/admin/proposals/?export=csv").streaming_content)
    header, row = list(csv.reader(io.StringIO(csv_text.decode("utf-8-sig"))))
    assert header == EXPECTED_HEADINGS_JA
    assert row[:2] == [str(proposal.pk), proposal.reference]
    assert row[header.index("予算合計")] == "54000"
    xlsx = client.get("/admin/proposals/?export=xlsx")
    content = xlsx.content if not xlsx.streaming else b"".join(xlsx.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [cell.value for cell in sheet[1]] == EXPECTED_HEADINGS_JA


def test_attachment_help_follows_the_request_language(client, applicant, open_call, settings):
    client.force_login(applicant)
    english = "PDF, Word (.docx) or Excel (.xlsx); up to 10 MB each."
    japanese = "PDF、Word（.docx）、Excel（.xlsx）。1ファイル10MBまで。"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"{open_call.url}submit/").content.decode()
    assert english in html and japanese not in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    html = client.get(f"{open_call.url}submit/").content.decode()
    assert japanese in html and english not in html


def test_applicants_and_coordinators_cannot_review(client, applicant, open_call):
    proposal = make_proposal(client, applicant, open_call)
    signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    refused = client.get(f"/admin/proposals/{proposal.pk}/review/")
    assert refused.status_code in (302, 403) and "見守り散歩" not in refused.content.decode()
    client.post(f"/admin/proposals/{proposal.pk}/review/", {"to_status": "screening"})
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED


def test_a_package_inflating_to_a_huge_content_types_part_is_refused_unread(
    client, applicant, open_call, private_root
):
    """A few kilobytes that would inflate to 64 MB if read whole (a zip bomb)."""
    import zipfile

    from cms import uploads

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as package:
        declared = (
            b'<Types><Override PartName="/word/document.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        )
        package.writestr("[Content_Types].xml", declared + b" " * (64 * 1024 * 1024))
        package.writestr("word/document.xml", "<w:document/>")
    assert len(buffer.getvalue()) < 200 * 1024
    upload = SimpleUploadedFile("bomb.docx", buffer.getvalue())
    assert uploads.sniff_kind(upload) is None
    client.force_login(applicant)
    upload.seek(0)
    response = submit(client, open_call, [upload])
    assert response.status_code == 400
    assert "bomb.docx" in " ".join(response.context["form"].errors["attachments"])
    assert_nothing_stored(private_root)


def test_attachment_download_headers_stop_browsers_rendering_it(client, applicant, open_call):
    client.force_login(applicant)
    submit(client, open_call, [SimpleUploadedFile("提案書.pdf", support.pdf_bytes())])
    response = client.get(f"/proposals/attachments/{ProposalAttachment.objects.get().pk}/")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    # The Japanese name survives, RFC 5987-encoded.
    assert "filename*=utf-8''%E6%8F%90%E6%A1%88%E6%9B%B8.pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]


def test_a_resent_form_stores_the_proposal_once(client, applicant, open_call, private_root):
    """A double click or a browser resending the POST carries the form's same hidden
    key: one proposal, one set of files, one email; a fresh form makes a second one."""
    client.force_login(applicant)
    page = client.get(f"{open_call.url}submit/").content.decode()
    key = page.split('name="submission_key" value="', 1)[1].split('"', 1)[0]

    def send():
        files = [SimpleUploadedFile("提案書.pdf", support.pdf_bytes())]
        return submit(client, open_call, files, submission_key=key)

    first, second = send(), send()
    assert first.status_code == second.status_code == 302
    assert Proposal.objects.count() == 1 and ProposalAttachment.objects.count() == 1
    assert len(stored_files(private_root)) == 1 and len(mail.outbox) == 1

    again = client.get(f"{open_call.url}submit/").content.decode()
    assert f'value="{key}"' not in again  # each showing of the form has its own key
    submit(client, open_call, submission_key=again.split('name="submission_key" value="')[1][:36])
    assert Proposal.objects.count() == 2
