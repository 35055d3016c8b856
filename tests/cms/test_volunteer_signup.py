"""Volunteer sign-up: a public form creates a pending application; a coordinator
approves it in the admin, which creates the account with the volunteer role."""

import pytest
from allauth.account.models import EmailAddress

from accounts.models import User
from cms.exceptions import ApplicationDecided
from cms.models import VolunteerApplication, VolunteerSignupPage
from cms.services.applications import volunteer_application_approve
from core.errors import NotPermitted
from tests.cms import support
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def page():
    return support.home().add_child(
        instance=VolunteerSignupPage(title="ボランティア登録", slug="volunteer")
    )


def signup(client, page, **overrides):
    data = {
        "full_name": "新井 さくら",
        "full_name_kana": "あらい さくら",
        "email": "Sakura@Example.jp",
        "phone": "090-1234-5678",
        "district": DistrictFactory(code="chuo").pk,
        "message": "買い物の付き添いができます",
        "website": "",
    }
    data.update(overrides)
    return client.post(page.url, data)


def test_public_form_creates_a_pending_application(client, page):
    response = signup(client, page)
    assert response.status_code == 200
    assert "コーディネーターから追ってご連絡します" in response.content.decode()
    application = VolunteerApplication.objects.get()
    assert application.status == VolunteerApplication.Status.PENDING
    assert application.email == "sakura@example.jp"
    assert application.full_name_kana == "アライ サクラ"  # normalised to katakana
    assert not User.objects.filter(email="sakura@example.jp").exists()


def test_bad_input_and_bots_store_nothing(client, page):
    response = signup(client, page, full_name_kana="Sakura", email="not-an-email")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"full_name_kana", "email"}
    assert signup(client, page, website="http://spam.example/").status_code == 400
    assert not VolunteerApplication.objects.exists()


def test_signups_are_rate_limited(client, page, settings):
    settings.VOLUNTEER_SIGNUP_LIMIT = 2
    assert signup(client, page, email="a@example.jp").status_code == 200
    assert signup(client, page, email="b@example.jp").status_code == 200
    assert signup(client, page, email="c@example.jp").status_code == 429
    assert VolunteerApplication.objects.count() == 2


def test_coordinator_approves_in_the_admin_creating_a_volunteer(client, page):
    signup(client, page)
    application = VolunteerApplication.objects.get()
    coordinator = UserFactory(roles=["coordinator"])
    signed_in_back_office(client, coordinator)
    listing = client.get("/admin/volunteer_applications/")
    assert listing.status_code == 200 and "新井 さくら" in listing.content.decode()
    url = f"/admin/volunteer-applications/{application.pk}/decide/"
    assert client.post(url, {"decision": "approve"}).status_code == 302

    user = User.objects.get(email="sakura@example.jp")
    assert user.has_role("volunteer") and not user.has_usable_password()
    assert (user.full_name, user.full_name_kana) == ("新井 さくら", "アライ サクラ")
    assert EmailAddress.objects.filter(user=user, verified=False, primary=True).exists()
    application.refresh_from_db()
    assert (application.status, application.user, application.decided_by) == (
        VolunteerApplication.Status.APPROVED,
        user,
        coordinator,
    )
    with pytest.raises(ApplicationDecided):
        volunteer_application_approve(application_id=application.pk, actor=coordinator)
    assert User.objects.filter(email="sakura@example.jp").count() == 1


def test_existing_user_is_reused_and_only_coordinators_decide(client, page):
    existing = UserFactory(email="sakura@example.jp", roles=["resident"])
    signup(client, page)
    application = VolunteerApplication.objects.get()
    with pytest.raises(NotPermitted):
        volunteer_application_approve(application_id=application.pk, actor=existing)
    volunteer_application_approve(
        application_id=application.pk, actor=UserFactory(roles=["coordinator"])
    )
    existing.refresh_from_db()
    assert existing.role_names == ["resident", "volunteer"]


def test_a_deactivated_account_is_not_revived_by_a_signup(client, page):
    """Anyone may type anyone's address into the public form: approving must not undo
    an administrator's deactivation."""
    from cms.exceptions import AccountDeactivated

    banned = UserFactory(email="sakura@example.jp", roles=["resident"], is_active=False)
    signup(client, page)
    application = VolunteerApplication.objects.get()
    coordinator = UserFactory(roles=["coordinator"])
    with pytest.raises(AccountDeactivated):
        volunteer_application_approve(application_id=application.pk, actor=coordinator)
    signed_in_back_office(client, coordinator)
    url = f"/admin/volunteer-applications/{application.pk}/decide/"
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 200
    assert "無効" in response.content.decode()
    banned.refresh_from_db()
    application.refresh_from_db()
    assert not banned.is_active and banned.role_names == ["resident"]
    assert application.status == VolunteerApplication.Status.PENDING


def test_only_coordinators_open_the_decision_view(client, page):
    signup(client, page)
    url = f"/admin/volunteer-applications/{VolunteerApplication.objects.get().pk}/decide/"
    for roles in (["city_staff"], ["resident"]):
        signed_in_back_office(client, UserFactory(roles=roles))
        assert client.post(url, {"decision": "approve"}).status_code in (302, 403)
    assert VolunteerApplication.objects.get().status == VolunteerApplication.Status.PENDING
    assert not User.objects.filter(email="sakura@example.jp").exists()


def test_head_is_answered_and_other_methods_are_not_allowed(client, page):
    assert client.head(page.url).status_code == 200
    response = client.put(page.url)
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    assert not VolunteerApplication.objects.exists()
