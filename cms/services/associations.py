"""District association editors: their Wagtail groups, page permissions, who is in
each group, and the optional approval workflow for events."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from accounts.models import Role, User
from cms.exceptions import NotAnEditor
from cms.models import DistrictAssociationPage, DistrictIndexPage
from cms.selectors import (
    EVENT_WORKFLOW_NAME,
    association_editor_candidates,
    association_group_name,
    events_moderated,
)
from core.errors import NotPermitted

#: Page permissions an association's editors hold on their own page (and below).
EDITOR_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page")


@transaction.atomic
def association_groups_sync(*, moderated: bool | None = None) -> list[Group]:
    """Give every district association page a Wagtail group whose members may reach the
    admin, and add, edit and (unless ``moderated``) publish pages only under that
    association's page; they may also upload and choose images. Idempotent.

    With ``moderated`` (default ``settings.CMS_EVENT_MODERATION``), the groups lose
    publish rights and the district index gets a workflow whose single task is approval
    by city staff, so events go live only after review.
    """
    if moderated is None:
        moderated = settings.CMS_EVENT_MODERATION
    page_perms = {
        p.codename: p
        for p in Permission.objects.filter(
            content_type__app_label="wagtailcore", codename__in=EDITOR_PAGE_PERMISSIONS
        )
    }
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    image_perms = list(
        Permission.objects.filter(
            content_type__app_label="wagtailimages", codename__in=["add_image", "choose_image"]
        )
    )
    root_collection = Collection.get_first_root_node()
    wanted = [c for c in EDITOR_PAGE_PERMISSIONS if not (moderated and c == "publish_page")]
    groups = []
    pages = DistrictAssociationPage.objects.select_related("district").order_by("path")
    for page in pages:
        group, _ = Group.objects.get_or_create(name=association_group_name(page))
        group.permissions.add(access_admin)
        for codename in wanted:
            GroupPagePermission.objects.get_or_create(
                group=group, page=page, permission=page_perms[codename]
            )
        # Rights the group must not hold anywhere else (e.g. after a page moved).
        GroupPagePermission.objects.filter(group=group).exclude(page=page).delete()
        GroupPagePermission.objects.filter(group=group).exclude(
            permission__codename__in=wanted
        ).delete()
        if root_collection is not None:
            for permission in image_perms:
                GroupCollectionPermission.objects.get_or_create(
                    group=group, collection=root_collection, permission=permission
                )
        groups.append(group)
    _event_workflow_sync(enabled=moderated)
    return groups


@transaction.atomic
def association_editors_set(*, page_id: int, editor_ids: Iterable[int], actor: User) -> Group:
    """Make exactly ``editor_ids`` the editors of one association page: the members of
    its Wagtail group, who may edit and publish under that page only.

    Only city staff (and superusers) decide this. Every editor must be an active user
    with the district editor role (:class:`NotAnEditor`, field ``editors``, otherwise);
    an empty list leaves the page with no editors. The group is made first if the page
    has none yet (a page created before its group), under the moderation in force. The
    group row is locked, so two decisions at once are applied one after the other.
    Raises :class:`NotPermitted` for anyone else.
    """
    if not actor.acts_as(Role.CITY_STAFF):
        raise NotPermitted()
    page = DistrictAssociationPage.objects.select_related("district").get(pk=page_id)
    name = association_group_name(page)
    if not Group.objects.filter(name=name).exists():
        association_groups_sync(moderated=events_moderated())
    group = Group.objects.select_for_update().get(name=name)
    wanted = set(editor_ids)
    editors = list(association_editor_candidates().filter(pk__in=wanted))
    if len(editors) != len(wanted):
        raise NotAnEditor(field="editors")
    group.user_set.set(editors)
    return group


def _event_workflow_sync(*, enabled: bool) -> None:
    index = DistrictIndexPage.objects.first()
    if index is None:
        return
    if not enabled:
        WorkflowPage.objects.filter(page=index, workflow__name=EVENT_WORKFLOW_NAME).delete()
        return
    workflow, _ = Workflow.objects.get_or_create(name=EVENT_WORKFLOW_NAME)
    task = GroupApprovalTask.objects.filter(name=EVENT_WORKFLOW_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=EVENT_WORKFLOW_NAME)
    task.groups.set(Group.objects.filter(name=Role.CITY_STAFF))
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    WorkflowPage.objects.update_or_create(page=index, defaults={"workflow": workflow})
