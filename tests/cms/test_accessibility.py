"""Forms of the public site, checked in their HTML: every control has a label, and every
aria-describedby (help text, error) points at an element that exists."""

from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cms.models import VolunteerSignupPage
from tests.cms import support
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class FormAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.label_for, self.controls, self.described = set(), set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in (
            "hidden",
            "submit",
        ):
            self.controls.append(attrs)
        if attrs.get("aria-describedby"):
            self.described.append((attrs.get("name"), attrs["aria-describedby"].split()))


def audit(html: str) -> FormAudit:
    parser = FormAudit()
    parser.feed(html)
    unlabelled = [
        c.get("name")
        for c in parser.controls
        if c.get("id") not in parser.label_for and not c.get("aria-label")
    ]
    assert unlabelled == []
    dangling = [
        (name, ref) for name, refs in parser.described for ref in refs if ref not in parser.ids
    ]
    assert dangling == []
    return parser


def test_proposal_form_with_errors_is_labelled_and_described(client):
    call = support.call(slug="a11y")
    client.force_login(UserFactory())
    html = client.get(f"{call.url}submit/").content.decode()
    audit(html)
    response = client.post(
        f"{call.url}submit/",
        {
            "members_count": "2",
            "budget-TOTAL_FORMS": "1",
            "budget-INITIAL_FORMS": "0",
            "budget-0-item": "",
            "budget-0-amount_yen": "-5",
            "attachments": [SimpleUploadedFile("x.pdf", b"MZ")],
        },
    )
    assert response.status_code == 400
    parser = audit(response.content.decode())
    described = dict(parser.described)
    assert "id_members_count_error" in described["members_count"]
    assert "id_attachments_helptext" in described["attachments"]
    assert "id_attachments_error" in described["attachments"]
    assert "id_budget-0-amount_yen_error" in described["budget-0-amount_yen"]


def test_signup_and_event_filter_errors_are_described(client):
    page = support.home().add_child(instance=VolunteerSignupPage(title="登録", slug="v"))
    response = client.post(page.url, {"email": "nope", "full_name_kana": "x"})
    assert response.status_code == 400
    assert "email" in dict(audit(response.content.decode()).described)
    index = support.event_index()
    response = client.get(index.url, {"month": "2026-13", "district": "abc"})
    described = dict(audit(response.content.decode()).described)
    assert set(described) >= {"month", "district"}
