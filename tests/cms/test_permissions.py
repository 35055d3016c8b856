"""Association editors: one Wagtail group per association, page permissions only on
their own page (Wagtail's permission policy and the admin's edit view agree), and a
configurable moderation workflow for events."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import GroupPagePermission, WorkflowPage
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.models import DistrictAssociationPage, EventPage
from cms.selectors import EVENT_WORKFLOW_NAME, association_group_name
from cms.services.associations import association_groups_sync
from tests.cms import support
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    chuo, kita = support.association("chuo", "中央"), support.association("kita", "北")
    kita_event = support.event(kita, support.in_days(4), title="北の会")
    return chuo, kita, kita_event


def editor_of(association):
    user = UserFactory(roles=["district_editor"])
    user.groups.add(Group.objects.get(name=association_group_name(association)))
    return user


def event_edit_form(event, **changes):
    """Every field of the admin's event form, as the browser sends it, publishing."""
    start, end = timezone.localtime(event.start_at), timezone.localtime(event.end_at)
    return nested_form_data(
        {
            "title": event.title,
            "slug": event.slug,
            "start_at": f"{start:%Y-%m-%d %H:%M}",
            "end_at": f"{end:%Y-%m-%d %H:%M}",
            "venue": event.venue,
            "address": event.address,
            "description": rich_text("<p>どなたでも</p>"),
            "image": "",
            "capacity": "",
            "contact": "",
            "action-publish": "action-publish",
            **changes,
        }
    )


def association_edit_form(page, **changes):
    return nested_form_data(
        {
            "title": page.title,
            "slug": page.slug,
            "area": page.area,
            "body": streamfield([]),
            "contacts": streamfield([]),
            "action-publish": "action-publish",
            **changes,
        }
    )


def test_command_creates_one_group_per_association_idempotently(tree, capsys):
    call_command("cms_association_groups")
    call_command("cms_association_groups")
    assert "association groups: 2" in capsys.readouterr().out
    assert set(
        Group.objects.filter(name__startswith="association-").values_list("name", flat=True)
    ) == {
        "association-chuo",
        "association-kita",
    }


def test_editor_may_edit_and_publish_only_under_their_own_association(tree):
    chuo, kita, kita_event = tree
    association_groups_sync(moderated=False)
    editor = editor_of(chuo)
    own = chuo.permissions_for_user(editor)
    assert own.can_edit() and own.can_publish() and own.can_add_subpage()
    for page in (kita, kita_event, support.district_index(), support.home()):
        other = page.permissions_for_user(editor)
        assert not other.can_edit() and not other.can_publish() and not other.can_add_subpage()
    assert editor.has_perm("wagtailadmin.access_admin")


def test_admin_refuses_editing_another_associations_page(client, tree):
    chuo, kita, kita_event = tree
    association_groups_sync(moderated=False)
    editor = editor_of(chuo)
    signed_in_back_office(client, editor)

    assert client.get(f"/admin/pages/{chuo.pk}/edit/").status_code == 200
    assert client.get(f"/admin/pages/add/cms/eventpage/{chuo.pk}/").status_code == 200
    for page in (kita, kita_event):
        response = client.get(f"/admin/pages/{page.pk}/edit/")
        assert response.status_code in (302, 403), page
        if response.status_code == 302:
            assert f"/pages/{page.pk}/edit/" not in response["Location"]
    assert client.get(f"/admin/pages/add/cms/eventpage/{kita.pk}/").status_code in (302, 403)

    # A complete, valid form: on the editor's own event it is saved and published ...
    own_event = support.event(chuo, support.in_days(5), title="中央の会")
    response = client.post(
        f"/admin/pages/{own_event.pk}/edit/", event_edit_form(own_event, title="中央の会（改）")
    )
    assert response.status_code == 302
    own_event.refresh_from_db()
    assert own_event.title == "中央の会（改）" and own_event.live
    # ... and the same form on another association's event changes nothing there.
    response = client.post(
        f"/admin/pages/{kita_event.pk}/edit/", event_edit_form(kita_event, title="乗っ取り")
    )
    assert response.status_code in (302, 403)
    kita_event.refresh_from_db()
    assert kita_event.title == "北の会"
    assert not kita_event.revisions.exists()  # not even saved as a draft


def test_editors_cannot_change_their_associations_district(client, tree):
    chuo, kita, _ = tree
    association_groups_sync(moderated=False)
    editor = editor_of(chuo)
    signed_in_back_office(client, editor)
    minami = DistrictFactory(code="minami", name="南", name_kana="ミナミ")

    form = client.get(f"/admin/pages/{chuo.pk}/edit/").context["form"]
    assert "district" not in form.fields and "area" in form.fields
    response = client.post(
        f"/admin/pages/{chuo.pk}/edit/",
        association_edit_form(chuo, area="中央一丁目〜三丁目", district=minami.pk),
    )
    assert response.status_code == 302  # the rest of the form was accepted
    page = DistrictAssociationPage.objects.get(pk=chuo.pk)
    assert page.area == "中央一丁目〜三丁目" and page.live
    assert page.district_id == chuo.district_id
    assert page.get_latest_revision().content["district"] == chuo.district_id


@pytest.mark.parametrize("who", ["city_staff", "superuser"])
def test_city_staff_and_superusers_may_change_the_district(who):
    chuo = support.association("chuo", "中央")
    user = UserFactory(is_superuser=True) if who == "superuser" else UserFactory(roles=[who])
    form_class = DistrictAssociationPage.get_edit_handler().get_form_class()
    form = form_class(instance=chuo, for_user=user, parent_page=chuo.get_parent())
    assert "district" in form.fields
    editor = UserFactory(roles=["district_editor"])
    form = form_class(instance=chuo, for_user=editor, parent_page=chuo.get_parent())
    assert "district" not in form.fields


@pytest.mark.parametrize("moderated", [False, True])
def test_an_association_added_in_the_admin_gets_its_editors_group(client, moderated):
    """...with the moderation the city chose kept (``cms_association_groups
    --moderated`` is not undone by the next association added)."""
    index = support.district_index()
    chuo = support.association("chuo", "中央")
    association_groups_sync(moderated=moderated)
    higashi = DistrictFactory(code="higashi", name="東", name_kana="ヒガシ")
    signed_in_back_office(client, UserFactory(is_superuser=True))

    response = client.post(
        f"/admin/pages/add/cms/districtassociationpage/{index.pk}/",
        nested_form_data(
            {
                "title": "東小学校区地域協議会",
                "slug": "higashi",
                "district": higashi.pk,
                "area": "",
                "body": streamfield([]),
                "contacts": streamfield([]),
                "action-publish": "action-publish",
            }
        ),
    )
    assert response.status_code == 302
    page = DistrictAssociationPage.objects.get(district=higashi)
    group = Group.objects.get(name="association-higashi")
    assert set(
        GroupPagePermission.objects.filter(group=group).values_list(
            "page_id", "permission__codename"
        )
    ) == {(page.pk, "add_page"), (page.pk, "change_page")} | (
        set() if moderated else {(page.pk, "publish_page")}
    )
    editor = UserFactory(roles=["district_editor"])
    editor.groups.add(group)
    assert page.permissions_for_user(editor).can_edit()
    assert page.permissions_for_user(editor).can_publish() is not moderated
    chuo_editors = Group.objects.get(name="association-chuo")
    assert (
        GroupPagePermission.objects.filter(
            group=chuo_editors, page=chuo, permission__codename="publish_page"
        ).exists()
        is not moderated
    )
    assert WorkflowPage.objects.filter(page=index).exists() is moderated


def test_editor_posts_an_event_in_the_admin_and_it_is_live(client, tree):
    chuo, *_ = tree
    association_groups_sync(moderated=False)
    signed_in_back_office(client, editor_of(chuo))
    start = dt.datetime(2099, 5, 5, 10, 0)
    response = client.post(
        f"/admin/pages/add/cms/eventpage/{chuo.pk}/",
        {
            "title": "こどもの日のつどい",
            "slug": "kodomo",
            "start_at": start.strftime("%Y-%m-%d %H:%M"),
            "end_at": start.replace(hour=12).strftime("%Y-%m-%d %H:%M"),
            "venue": "中央公民館",
            "description": '{"blocks": [], "entityMap": {}}',
            "action-publish": "1",
        },
    )
    assert response.status_code == 302
    event = EventPage.objects.get(slug="kodomo")
    assert event.live and event.district == chuo.district
    assert event.start_at == dt.datetime(2099, 5, 5, 1, 0, tzinfo=dt.UTC)  # 10:00 JST


def test_moderation_removes_publish_and_routes_events_through_a_workflow(tree, settings):
    chuo, kita, kita_event = tree
    settings.CMS_EVENT_MODERATION = True
    association_groups_sync()
    editor = editor_of(chuo)
    perms = chuo.permissions_for_user(editor)
    assert perms.can_edit() and not perms.can_publish()
    event = support.event(chuo, support.in_days(3))
    workflow = event.get_workflow()
    assert workflow is not None and workflow.name == EVENT_WORKFLOW_NAME
    (task,) = workflow.tasks.specific()
    assert list(task.groups.values_list("name", flat=True)) == ["city_staff"]

    association_groups_sync(moderated=False)  # switched off again
    editor = type(editor).objects.get(pk=editor.pk)  # permissions are cached per user object
    assert chuo.permissions_for_user(editor).can_publish()
    assert getattr(event.get_workflow(), "name", None) != EVENT_WORKFLOW_NAME


def test_editor_cannot_move_or_copy_their_event_into_another_association(client, tree):
    chuo, kita, _ = tree
    association_groups_sync(moderated=False)
    editor = editor_of(chuo)
    own_event = support.event(chuo, support.in_days(6), title="中央の会")
    permissions = own_event.permissions_for_user(editor)
    # Moving is allowed as such (change + publish rights), and within their own page.
    assert permissions.can_move() and permissions.can_move_to(chuo)
    assert not permissions.can_move_to(kita)
    assert not permissions.can_copy_to(kita)
    assert permissions.can_copy_to(chuo)

    signed_in_back_office(client, editor)
    client.post(f"/admin/pages/{own_event.pk}/move/{kita.pk}/confirm/")
    client.post(
        f"/admin/pages/{own_event.pk}/copy/",
        {"new_title": "写し", "new_slug": "copy-1", "new_parent_page": kita.pk},
    )
    own_event.refresh_from_db()
    assert own_event.get_parent().pk == chuo.pk
    assert not EventPage.objects.child_of(kita).filter(title="写し").exists()
    assert EventPage.objects.child_of(kita).count() == 1
    # The same request into their own association works (so the refusal above is real).
    client.post(
        f"/admin/pages/{own_event.pk}/copy/",
        {"new_title": "写し", "new_slug": "copy-2", "new_parent_page": chuo.pk},
    )
    assert EventPage.objects.child_of(chuo).filter(title="写し").exists()
