"""Every write of the public site: the page tree's root, association groups and their
page permissions, collaboration proposals and their review, volunteer applications.

Each function is keyword-only, runs in one database transaction and raises
``cms.exceptions`` errors (stable codes) for rule breaches.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from accounts.models import Role, User
from accounts.services import user_grant_roles
from cms.exceptions import (
    AccountDeactivated,
    ApplicationDecided,
    AttachmentRejected,
    CallClosed,
    GroupTooSmall,
    InvalidTransition,
)
from cms.models import (
    DistrictAssociationPage,
    DistrictIndexPage,
    HomePage,
    Proposal,
    ProposalAttachment,
    ProposalBudgetLine,
    ProposalCallPage,
    ProposalHistory,
    ProposalStatus,
    VolunteerApplication,
)
from cms.uploads import attachment_check
from core.errors import NotPermitted

HOME_TITLE = "いきいきポイント・支えあいセンター"


@transaction.atomic
def site_home_ensure() -> HomePage:
    """Return the site's HomePage, creating the page tree's root, the home page and
    the default Site if any is missing (idempotent).

    The cms data migration does the same on a fresh database; this repairs a database
    whose tables were emptied (``flush``, transactional tests) and is used by seed_demo.
    """
    home = HomePage.objects.first()
    if home is None:
        Locale.objects.get_or_create(language_code="ja")
        root = Page.get_first_root_node() or Page.add_root(
            instance=Page(title="Root", slug="root", locale=Locale.get_default())
        )
        home = root.add_child(
            instance=HomePage(title=HOME_TITLE, slug="home", locale=Locale.get_default())
        )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home},
    )
    return home


# --- Association editors ------------------------------------------------------------

#: Page permissions an association's editors hold on their own page (and below).
EDITOR_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page")
EVENT_WORKFLOW_NAME = "地域イベントの承認"


def association_group_name(page: DistrictAssociationPage) -> str:
    """Stable (by district code), so renaming the page never duplicates its group."""
    return f"association-{page.district.code}"


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


def events_moderated() -> bool:
    """Whether events go through city staff's approval now: what the last
    :func:`association_groups_sync` set up, whatever the setting says."""
    return WorkflowPage.objects.filter(workflow__name=EVENT_WORKFLOW_NAME).exists()


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


# --- Collaboration proposals --------------------------------------------------------


@dataclass(frozen=True)
class BudgetLine:
    item: str
    amount_yen: int
    note: str = ""


#: Each status and the statuses a proposal may be in to move there.
TRANSITIONS: dict[str, frozenset[str]] = {
    ProposalStatus.SCREENING: frozenset({ProposalStatus.SUBMITTED}),
    ProposalStatus.HEARING: frozenset({ProposalStatus.SCREENING}),
    ProposalStatus.ACCEPTED: frozenset({ProposalStatus.HEARING}),
    ProposalStatus.DECLINED: frozenset({ProposalStatus.SCREENING, ProposalStatus.HEARING}),
    ProposalStatus.WITHDRAWN: frozenset(
        {ProposalStatus.SUBMITTED, ProposalStatus.SCREENING, ProposalStatus.HEARING}
    ),
}
PROPOSAL_FIELDS = (
    "group_name",
    "representative",
    "members_count",
    "years_active",
    "title",
    "purpose",
    "content",
    "expected_effect",
    "role_division",
)


def proposal_next_statuses(status: str) -> list[str]:
    """Statuses staff may move a proposal in ``status`` to (withdrawal is the
    applicant's own)."""
    return [
        to
        for to, before in TRANSITIONS.items()
        if status in before and to != ProposalStatus.WITHDRAWN
    ]


@transaction.atomic
def proposal_submit(
    *,
    call: ProposalCallPage,
    applicant: User,
    fields: dict,
    budget_lines: Sequence[BudgetLine],
    attachments: Sequence = (),
    at: dt.datetime | None = None,
    submission_key: uuid.UUID | None = None,
) -> Proposal:
    """Store a citizen group's proposal to ``call`` with its budget and attachments,
    record the first history step and send the confirmation email after commit.

    Exactly once per ``submission_key`` (the form's hidden key): a resent or
    concurrent submission with the applicant's same key returns the proposal already
    stored, without writing files or sending a second email, even after the window
    has closed.

    All or nothing: every rule is checked before anything is written, and files
    already written are removed if a later write here fails (files are outside the
    database transaction). Raises :class:`CallClosed`
    outside the call's window, :class:`GroupTooSmall` (``members_count``) for fewer
    than 3 members and :class:`AttachmentRejected` (``attachments``) for a file that is
    too large or not really a PDF/DOCX/XLSX.
    """
    if submission_key is not None:
        earlier = Proposal.objects.filter(applicant=applicant, submission_key=submission_key)
        if (proposal := earlier.first()) is not None:
            return proposal
    at = at or timezone.now()
    call = ProposalCallPage.objects.get(pk=call.pk)  # the window as saved now
    if not (call.live and call.is_open(at)):
        raise CallClosed()
    if int(fields.get("members_count") or 0) < 3:
        raise GroupTooSmall(field="members_count")
    kinds = [attachment_check(upload) for upload in attachments]
    if len(attachments) > settings.PROPOSAL_ATTACHMENT_MAX_COUNT:
        raise AttachmentRejected(field="attachments")

    proposal = Proposal(
        call=call,
        applicant=applicant,
        submitted_at=at,
        submission_key=submission_key,
        **{k: fields[k] for k in PROPOSAL_FIELDS},
    )
    proposal.full_clean(exclude=["submission_key"])  # the unique key is the insert's
    try:
        with transaction.atomic():
            proposal.save()
    except IntegrityError:
        if submission_key is None:
            raise
        # A concurrent submission with this key committed first: it is the answer.
        return Proposal.objects.get(applicant=applicant, submission_key=submission_key)
    ProposalBudgetLine.objects.bulk_create(
        ProposalBudgetLine(
            proposal=proposal,
            item=line.item,
            amount_yen=line.amount_yen,
            note=line.note,
            position=position,
        )
        for position, line in enumerate(budget_lines)
    )
    stored: list[str] = []
    try:
        for upload, kind in zip(attachments, kinds, strict=True):
            attachment = ProposalAttachment(
                proposal=proposal, original_name=upload.name[:255], kind=kind, size=upload.size
            )
            attachment.file.save(upload.name, upload, save=False)
            stored.append(attachment.file.name)
            attachment.save()
        ProposalHistory.objects.create(
            proposal=proposal,
            from_status="",
            to_status=ProposalStatus.SUBMITTED,
            actor=applicant,
            at=at,
        )
    except BaseException:
        # Files are not transactional: what was written goes with the rolled-back rows.
        _delete_files(stored)
        raise
    from cms.tasks import send_proposal_confirmation

    transaction.on_commit(lambda: send_proposal_confirmation.delay(proposal.pk))
    return proposal


def _delete_files(names: Sequence[str]) -> None:
    from cms.models import private_storage

    for name in names:
        private_storage.delete(name)


@transaction.atomic
def proposal_transition(*, proposal_id: int, to: str, actor: User, comment: str = "") -> Proposal:
    """Move a proposal to ``to`` and record who did it, from where, and their comment.

    Only city staff may review; withdrawal is the applicant's (see
    :func:`proposal_withdraw`). The row is locked, so two reviewers acting at once
    cannot both move it from the same status. Raises :class:`NotPermitted` and
    :class:`InvalidTransition` (current status not an allowed predecessor).
    """
    if not actor.acts_as(Role.CITY_STAFF):
        raise NotPermitted()
    if to == ProposalStatus.WITHDRAWN:
        raise InvalidTransition(field="to_status")
    return _transition(proposal_id=proposal_id, to=to, actor=actor, comment=comment)


@transaction.atomic
def proposal_withdraw(*, proposal_id: int, applicant: User, comment: str = "") -> Proposal:
    """The applicant withdraws their own proposal while it is still under review."""
    proposal = Proposal.objects.filter(pk=proposal_id, applicant=applicant).first()
    if proposal is None:
        raise NotPermitted()
    return _transition(
        proposal_id=proposal_id, to=ProposalStatus.WITHDRAWN, actor=applicant, comment=comment
    )


def _transition(*, proposal_id: int, to: str, actor: User, comment: str) -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    if to not in TRANSITIONS or proposal.status not in TRANSITIONS[to]:
        raise InvalidTransition(field="to_status", current=proposal.status, wanted=to)
    previous = proposal.status
    proposal.status = to
    proposal.save(update_fields=["status", "updated_at"])
    ProposalHistory.objects.create(
        proposal=proposal, from_status=previous, to_status=to, actor=actor, comment=comment
    )
    return proposal


@transaction.atomic
def proposal_send_confirmation(*, proposal_id: int) -> bool:
    """Email the applicant that their proposal arrived. Sent once: a second call (a
    retried task) finds ``confirmation_sent_at`` set and sends nothing."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    from accounts.models import language_for

    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("call", "applicant")
        .get(pk=proposal_id)
    )
    if proposal.confirmation_sent_at is not None or not proposal.applicant.email:
        return False
    with translation.override(language_for(proposal.applicant)):
        context = {"proposal": proposal, "base_url": settings.WAGTAILADMIN_BASE_URL}
        subject = render_to_string("cms/email/proposal_received_subject.txt", context).strip()
        body = render_to_string("cms/email/proposal_received.txt", context)
    send_mail(subject, body, None, [proposal.applicant.email])
    proposal.confirmation_sent_at = timezone.now()
    proposal.save(update_fields=["confirmation_sent_at"])
    return True


# --- Volunteer applications ---------------------------------------------------------


@transaction.atomic
def volunteer_application_submit(*, fields: dict) -> VolunteerApplication:
    """Record a pending application from the public sign-up page."""
    application = VolunteerApplication(
        **{
            k: fields.get(k, "")
            for k in ("full_name", "full_name_kana", "email", "phone", "message")
        },
        district=fields.get("district"),
    )
    application.email = application.email.strip().lower()
    application.full_clean()
    application.save()
    return application


@transaction.atomic
def volunteer_application_approve(*, application_id: int, actor: User) -> User:
    """Approve a pending application: the person's account is created (or an existing
    one with that email reused) and added to the volunteer role group.

    The account has no password: the volunteer signs in with an emailed code or sets a
    password through "forgot password", both of which prove the address. Raises
    :class:`NotPermitted` for non-coordinators, :class:`ApplicationDecided`, and
    :class:`AccountDeactivated` when the email belongs to a deactivated account (it
    stays deactivated and the application pending).
    """
    if not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()
    application = VolunteerApplication.objects.select_for_update().get(pk=application_id)
    if application.status != VolunteerApplication.Status.PENDING:
        raise ApplicationDecided()
    user = User.objects.filter(email__iexact=application.email).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=application.email,
                    password=None,
                    full_name=application.full_name,
                    full_name_kana=application.full_name_kana,
                )
                EmailAddress.objects.create(
                    user=user, email=user.email, primary=True, verified=False
                )
        except IntegrityError:
            # Another application with this email was approved at the same moment
            # (READ COMMITTED: its committed row is visible to the next statement).
            user = User.objects.get(email__iexact=application.email)
    if not user.is_active:
        # Deactivated on purpose by an administrator: a public form (anyone may type
        # anyone's address) must not bring the account back.
        raise AccountDeactivated()
    user_grant_roles(user=user, roles=[Role.VOLUNTEER])
    application.status = VolunteerApplication.Status.APPROVED
    application.decided_at = timezone.now()
    application.decided_by = actor
    application.user = user
    application.save(update_fields=["status", "decided_at", "decided_by", "user"])
    return user


@transaction.atomic
def volunteer_application_reject(*, application_id: int, actor: User) -> VolunteerApplication:
    """Turn down a pending application (nothing else changes)."""
    if not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()
    application = VolunteerApplication.objects.select_for_update().get(pk=application_id)
    if application.status != VolunteerApplication.Status.PENDING:
        raise ApplicationDecided()
    application.status = VolunteerApplication.Status.REJECTED
    application.decided_at = timezone.now()
    application.decided_by = actor
    application.save(update_fields=["status", "decided_at", "decided_by"])
    return application
