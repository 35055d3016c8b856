"""A proposal handed in on paper: city staff enter it in the back office with its
scans, marked as received on paper; it waits in the same review list as online
proposals (issue #14, item 4)."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone
from PIL import Image

from cms.models import Proposal, ProposalAttachment, ProposalStatus, ProposalTrack
from core import formats
from tests.cms import support
from tests.cms.test_proposals import form_data, stored_files
from tests.factories import UserFactory
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db

URL = "/admin/proposals/paper/"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Attachments in this test's own folder (as in test_proposals)."""
    from cms.models import private_storage

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"

    def point_at(location):
        private_storage._location = location
        private_storage.__dict__.pop("base_location", None)
        private_storage.__dict__.pop("location", None)

    previous = private_storage._location
    point_at(str(settings.PRIVATE_MEDIA_ROOT))
    yield settings.PRIVATE_MEDIA_ROOT
    point_at(previous)


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def open_call():
    return support.call(ProposalTrack.CITIZEN, slug="citizen")


@pytest.fixture
def city_staff(client):
    user = UserFactory(roles=["city_staff"], full_name="市役所 花子")
    signed_in_back_office(client, user)
    return user


def form_key(client) -> str:
    page = client.get(URL).content.decode()
    return page.split('name="submission_key" value="', 1)[1].split('"', 1)[0]


def enter(client, call, files=(), **overrides):
    data = form_data(
        **{
            "call": str(call.pk),
            "received_on": f"{timezone.localdate():%Y-%m-%d}",
            "contact": "0120-000-000（代表 市民）",
            **overrides,
        }
    )
    data.pop("website")
    if files:
        data["attachments"] = list(files)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(URL, data)


def test_city_staff_enter_a_paper_proposal_which_waits_for_review_marked_as_paper(
    client, city_staff, open_call, private_root
):
    listing = client.get("/admin/proposals/").content.decode()
    assert URL in listing  # the listing offers the paper entry
    scan = SimpleUploadedFile("申請書スキャン.jpg", jpeg_bytes())
    response = enter(
        client, open_call, [scan, SimpleUploadedFile("予算書.pdf", support.pdf_bytes())]
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert response["Location"] == f"/admin/proposals/{proposal.pk}/review/"
    assert proposal.received_on_paper and proposal.received_on == timezone.localdate()
    assert proposal.applicant is None and proposal.entered_by == city_staff
    assert proposal.status == ProposalStatus.SUBMITTED
    assert mail.outbox == []  # the group has no account to write to

    listing = client.get("/admin/proposals/").content.decode()
    assert "見守り散歩" in listing
    assert f"紙（{formats.date(timezone.localdate())}）" in listing  # marked as paper
    review = client.get(f"/admin/proposals/{proposal.pk}/review/").content.decode()
    assert 'data-testid="paper"' in review and "市役所 花子" in review
    attachment = ProposalAttachment.objects.get(kind="jpg")
    assert f"/proposals/attachments/{attachment.pk}/" in review
    assert client.get(f"/admin/proposals/inspect/{proposal.pk}/").status_code == 200
    export = b"".join(client.get("/admin/proposals/?export=csv").streaming_content)
    assert "見守り散歩" in export.decode("utf-8-sig")
    download = client.get(f"/proposals/attachments/{attachment.pk}/")
    assert b"".join(download.streaming_content) == jpeg_bytes()

    # The same review as online proposals.
    response = client.post(
        f"/admin/proposals/{proposal.pk}/review/", {"to_status": "screening", "comment": ""}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SCREENING


def test_a_bad_scan_is_a_field_error_and_nothing_is_stored(
    client, city_staff, open_call, private_root
):
    fake = SimpleUploadedFile("scan.jpg", b"MZ\x90\x00 not an image at all")
    response = enter(client, open_call, [fake])
    assert response.status_code == 400
    assert "scan.jpg" in response.context["form"].errors["attachments"][0]
    large = SimpleUploadedFile("big.pdf", support.pdf_bytes() + b"0" * 64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.PROPOSAL_ATTACHMENT_MAX_SIZE", 32)
        response = enter(client, open_call, [large])
    assert response.status_code == 400 and "attachments" in response.context["form"].errors
    assert not Proposal.objects.exists() and stored_files(private_root) == []


def test_a_double_post_enters_one_proposal(client, city_staff, open_call, private_root):
    key = form_key(client)

    def send():
        files = [SimpleUploadedFile("scan.pdf", support.pdf_bytes())]
        return enter(client, open_call, files, submission_key=key)

    first, second = send(), send()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Proposal.objects.count() == 1 and ProposalAttachment.objects.count() == 1
    assert len(stored_files(private_root)) == 1
    enter(client, open_call, submission_key=form_key(client))  # a fresh form: a second one
    assert Proposal.objects.count() == 2


def test_received_after_the_call_closed_is_refused_but_in_time_is_accepted(
    client, city_staff, private_root
):
    closed = support.call(ProposalTrack.CITIZEN, opens=-30, closes=-3, slug="closed")
    late = f"{timezone.localdate() - dt.timedelta(days=1):%Y-%m-%d}"
    response = enter(client, closed, received_on=late)
    assert response.status_code == 422 and "received_on" in response.context["form"].errors
    in_time = f"{timezone.localdate() - dt.timedelta(days=10):%Y-%m-%d}"
    assert enter(client, closed, received_on=in_time).status_code == 302
    assert Proposal.objects.get().received_on.isoformat() == in_time


@pytest.mark.parametrize("role", ["coordinator", "district_editor"])
def test_only_city_staff_enter_paper_proposals(client, open_call, role):
    signed_in_back_office(client, UserFactory(roles=[role]))
    assert client.get(URL).status_code in (302, 403)
    response = enter(client, open_call)
    assert response.status_code in (302, 403)
    assert not Proposal.objects.exists()
