"""City staff run the site's structure without a superuser: they add and close calls
for proposals, add association pages and choose each association's editors (issue
#14, item 4). Everything through the Wagtail admin's own pages."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.models import DistrictAssociationPage, ProposalCallPage, ProposalTrack
from cms.selectors import calls_open
from cms.services.associations import association_groups_sync
from tests.cms import support
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db


def _local(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def call_form(*, title="地域づくり協働提案 2027", slug="call-2027", opens, closes, **changes):
    return nested_form_data(
        {
            "title": title,
            "slug": slug,
            "track": "citizen",
            "theme": "",
            "opens_at": _local(opens),
            "closes_at": _local(closes),
            "eligibility": rich_text("<p>3人以上の団体</p>"),
            "guidelines": rich_text("<p>募集要項</p>"),
            "action-publish": "action-publish",
            **changes,
        }
    )


def association_form(district, **changes):
    return nested_form_data(
        {
            "title": f"{district.name}小学校区地域協議会",
            "slug": district.code,
            "district": district.pk,
            "area": "",
            "body": streamfield([]),
            "contacts": streamfield([]),
            "action-publish": "action-publish",
            **changes,
        }
    )


@pytest.fixture
def city_staff(client):
    user = UserFactory(roles=["city_staff"], full_name="市役所 花子")
    assert not user.is_superuser
    signed_in_back_office(client, user)
    return user


# --- Calls for proposals ----------------------------------------------------------


def test_city_staff_open_a_call_for_proposals_and_close_it_from_the_editor(client, city_staff):
    home = support.home()
    now = timezone.now()
    assert client.get(f"/admin/pages/add/cms/proposalcallpage/{home.pk}/").status_code == 200
    response = client.post(
        f"/admin/pages/add/cms/proposalcallpage/{home.pk}/",
        call_form(opens=now - dt.timedelta(days=1), closes=now + dt.timedelta(days=30)),
    )
    assert response.status_code == 302
    call = ProposalCallPage.objects.get(slug="call-2027")
    assert call.live and call.owner == city_staff
    assert list(calls_open()) == [call]
    # The public page offers the form while the call is open.
    assert client.get(call.url + "submit/").status_code == 200

    # Closing: the window's end set to now in the editor and published.
    response = client.post(
        f"/admin/pages/{call.pk}/edit/",
        call_form(opens=call.opens_at, closes=timezone.now() - dt.timedelta(minutes=1)),
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert not call.is_open() and list(calls_open()) == []


def test_city_staff_close_a_call_in_one_step_keeping_a_waiting_draft(client, city_staff):
    call = support.call(ProposalTrack.CITIZEN, slug="open")
    # A change waiting as a draft (not yet published).
    draft = call.get_latest_revision_as_object()
    draft.theme = "見守りの新しい形"
    draft.save_revision(user=city_staff)
    edit_page = client.get(f"/admin/pages/{call.pk}/edit/").content.decode()
    assert f"/admin/calls/{call.pk}/close/" in edit_page

    response = client.post(f"/admin/calls/{call.pk}/close/", follow=True)
    assert response.redirect_chain[0][0] == f"/admin/pages/{call.get_parent().pk}/"
    assert "募集を締め切りました" in response.content.decode()
    call.refresh_from_db()
    assert call.live and not call.is_open() and list(calls_open()) == []
    assert call.theme == ""  # the draft was not published along the way ...
    waiting = call.get_latest_revision_as_object()
    assert waiting.theme == "見守りの新しい形" and waiting.closes_at == call.closes_at
    assert call.has_unpublished_changes  # ... it still waits, with the new end
    # The public form refuses proposals now.
    applicant = UserFactory()
    client.force_login(applicant)
    response = client.post(call.url + "submit/", {"title": "遅れた提案"})
    assert response.status_code == 409 or response.status_code == 422


def test_a_coordinator_cannot_close_a_call(client):
    call = support.call(ProposalTrack.CITIZEN, slug="open")
    signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    assert client.post(f"/admin/calls/{call.pk}/close/").status_code in (302, 403)
    call.refresh_from_db()
    assert call.is_open()


def test_a_coordinator_cannot_open_a_call_or_add_an_association(client):
    home, index = support.home(), support.district_index()
    signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    now = timezone.now()
    response = client.post(
        f"/admin/pages/add/cms/proposalcallpage/{home.pk}/",
        call_form(opens=now, closes=now + dt.timedelta(days=30)),
    )
    assert response.status_code in (302, 403)
    assert not ProposalCallPage.objects.exists()
    higashi = DistrictFactory(code="higashi", name="東", name_kana="ヒガシ")
    response = client.post(
        f"/admin/pages/add/cms/districtassociationpage/{index.pk}/", association_form(higashi)
    )
    assert response.status_code in (302, 403)
    assert not DistrictAssociationPage.objects.exists()


# --- Association pages and their editors ------------------------------------------


def test_city_staff_add_an_association_page_which_gets_its_editors_group(client, city_staff):
    index = support.district_index()
    higashi = DistrictFactory(code="higashi", name="東", name_kana="ヒガシ")
    url = f"/admin/pages/add/cms/districtassociationpage/{index.pk}/"
    assert "district" in client.get(url).context["form"].fields
    response = client.post(url, association_form(higashi))
    assert response.status_code == 302
    page = DistrictAssociationPage.objects.get(district=higashi)
    assert page.live
    # The editors' page shows the new page's (empty) group with the candidates.
    UserFactory(roles=["district_editor"], full_name="東 一郎")
    html = client.get(f"/admin/associations/{page.pk}/editors/").content.decode()
    assert "東 一郎" in html


def _editors_url(page):
    return f"/admin/associations/{page.pk}/editors/"


def test_city_staff_assign_an_editor_who_may_edit_that_association_only(client, city_staff):
    chuo, kita = support.association("chuo", "中央"), support.association("kita", "北")
    editor = UserFactory(roles=["district_editor"], full_name="中央 次郎")
    # The page header offers the editors' page to city staff.
    assert _editors_url(chuo) in client.get(f"/admin/pages/{chuo.pk}/edit/").content.decode()

    response = client.post(_editors_url(chuo), {"editors": [editor.pk]})
    assert response.status_code == 302

    editor_client = signed_in_back_office(Client(), editor)
    assert editor_client.get(f"/admin/pages/{chuo.pk}/edit/").status_code == 200
    response = editor_client.post(
        f"/admin/pages/{chuo.pk}/edit/",
        association_form(chuo.district, title="中央小学校区地域協議会（新）", slug="chuo"),
    )
    assert response.status_code == 302
    chuo.refresh_from_db()
    assert chuo.title == "中央小学校区地域協議会（新）" and chuo.live
    # Another association's page stays out of reach.
    response = editor_client.get(f"/admin/pages/{kita.pk}/edit/")
    assert response.status_code in (302, 403)
    response = editor_client.post(
        f"/admin/pages/{kita.pk}/edit/",
        association_form(kita.district, title="乗っ取り", slug="kita"),
    )
    kita.refresh_from_db()
    assert kita.title != "乗っ取り" and not kita.revisions.exists()

    # Taken off again: the editor loses the page.
    assert client.post(_editors_url(chuo), {}).status_code == 302
    assert editor_client.get(f"/admin/pages/{chuo.pk}/edit/").status_code in (302, 403)


def test_only_district_editors_can_be_chosen(client, city_staff):
    chuo = support.association("chuo", "中央")
    volunteer = UserFactory(roles=["volunteer"])
    response = client.post(_editors_url(chuo), {"editors": [volunteer.pk]})
    assert response.status_code == 200
    assert "editors" in response.context["form"].errors
    assert not chuo.permissions_for_user(volunteer).can_edit()


@pytest.mark.parametrize("role", ["district_editor", "coordinator"])
def test_only_city_staff_choose_editors(client, role):
    chuo = support.association("chuo", "中央")
    association_groups_sync(moderated=False)
    user = UserFactory(roles=[role])
    if role == "district_editor":  # even the association's own editor
        user.groups.add(Group.objects.get(name="association-chuo"))
    signed_in_back_office(client, user)
    response = client.post(_editors_url(chuo), {"editors": [user.pk]})
    assert response.status_code in (302, 403)
    other = UserFactory(roles=["district_editor"])
    response = client.post(_editors_url(chuo), {"editors": [other.pk]})
    assert response.status_code in (302, 403)
    assert not other.groups.filter(name="association-chuo").exists()
