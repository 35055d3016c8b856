"""Collaboration proposals: submission online or entered by city staff from paper
(each exactly once per form key), the review steps and the applicant's confirmation
email.

Each function is keyword-only, runs in one database transaction and raises
``cms.exceptions`` errors (stable codes) for rule breaches.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Role, User, language_for
from cms.exceptions import (
    AttachmentRejected,
    CallClosed,
    GroupTooSmall,
    InvalidTransition,
    ReceivedOutsideWindow,
)
from cms.models import (
    Proposal,
    ProposalAttachment,
    ProposalBudgetLine,
    ProposalCallPage,
    ProposalHistory,
    ProposalStatus,
    private_storage,
)
from cms.selectors import TRANSITIONS, paper_proposal_by_submission_key, proposal_by_submission_key
from cms.tasks import send_proposal_confirmation, send_proposal_status_notice
from cms.uploads import SCAN_EXTENSIONS, attachment_check
from core import site
from core.errors import NotPermitted
from core.outbox import send_once


@dataclass(frozen=True)
class BudgetLine:
    item: str
    amount_yen: int
    note: str = ""


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
        earlier = proposal_by_submission_key(applicant=applicant, submission_key=submission_key)
        if earlier is not None:
            return earlier
    at = at or timezone.now()
    call, kinds = _proposal_check(call=call, fields=fields, attachments=attachments)
    if not call.is_open(at):
        raise CallClosed()
    proposal, created = _proposal_insert(
        Proposal(call=call, applicant=applicant, submitted_at=at, submission_key=submission_key),
        fields=fields,
        lookup={"applicant": applicant},
    )
    if not created:
        return proposal
    _proposal_parts_store(
        proposal=proposal,
        budget_lines=budget_lines,
        attachments=attachments,
        kinds=kinds,
        at=at,
    )
    transaction.on_commit(lambda: send_proposal_confirmation.delay(proposal.pk))
    return proposal


@transaction.atomic
def proposal_paper_enter(
    *,
    call: ProposalCallPage,
    entered_by: User,
    fields: dict,
    received_on: dt.date,
    budget_lines: Sequence[BudgetLine],
    attachments: Sequence = (),
    contact: str = "",
    at: dt.datetime | None = None,
    submission_key: uuid.UUID | None = None,
) -> Proposal:
    """Store a proposal a group handed in on paper, entered by city staff: marked as
    received on paper on ``received_on``, with no applicant account, its scans
    attached (PDF, JPEG, PNG, DOCX or XLSX, the online size limit). It then goes
    through the same review as an online proposal; no email is sent (the group has
    no account).

    Exactly once per ``submission_key`` for the staff member: a resent form returns
    the proposal already stored. All or nothing, as :func:`proposal_submit`.
    Raises :class:`NotPermitted` (not city staff), :class:`ReceivedOutsideWindow`
    (``received_on`` in the future or outside the call's window, as dates in Asia/Tokyo:
    a paper proposal may be entered after the call closed, if it arrived in time),
    :class:`CallClosed` (the call is not published), :class:`GroupTooSmall` and
    :class:`AttachmentRejected`.
    """
    if not entered_by.acts_as(Role.CITY_STAFF):
        raise NotPermitted()
    if submission_key is not None:
        earlier = paper_proposal_by_submission_key(
            entered_by=entered_by, submission_key=submission_key
        )
        if earlier is not None:
            return earlier
    at = at or timezone.now()
    call, kinds = _proposal_check(
        call=call, fields=fields, attachments=attachments, allowed=SCAN_EXTENSIONS
    )
    first, last = timezone.localdate(call.opens_at), timezone.localdate(call.closes_at)
    if not (first <= received_on <= min(last, timezone.localdate(at))):
        raise ReceivedOutsideWindow(field="received_on")
    proposal, created = _proposal_insert(
        Proposal(
            call=call,
            submitted_at=at,
            submission_key=submission_key,
            received_on_paper=True,
            received_on=received_on,
            entered_by=entered_by,
            contact=contact,
        ),
        fields=fields,
        lookup={"entered_by": entered_by, "received_on_paper": True},
    )
    if created:
        _proposal_parts_store(
            proposal=proposal,
            budget_lines=budget_lines,
            attachments=attachments,
            kinds=kinds,
            at=at,
        )
    return proposal


def _proposal_check(
    *,
    call: ProposalCallPage,
    fields: dict,
    attachments: Sequence,
    allowed: tuple[str, ...] | None = None,
) -> tuple[ProposalCallPage, list[str]]:
    """The rules of every submission, before anything is written: the call as saved
    now (published) and the checked kind of each attachment. The window is the
    caller's (online: open now; paper: received in time)."""
    call = ProposalCallPage.objects.get(pk=call.pk)  # the window as saved now
    if not call.live:
        raise CallClosed()
    if int(fields.get("members_count") or 0) < 3:
        raise GroupTooSmall(field="members_count")
    options = {"allowed": allowed} if allowed else {}
    kinds = [attachment_check(upload, **options) for upload in attachments]
    if len(attachments) > settings.PROPOSAL_ATTACHMENT_MAX_COUNT:
        raise AttachmentRejected(field="attachments")
    return call, kinds


def _proposal_insert(proposal: Proposal, *, fields: dict, lookup: dict) -> tuple[Proposal, bool]:
    """Insert the proposal row with the form's ``fields``; ``(proposal, False)`` when
    a concurrent submission with the same key (per ``lookup``: the applicant, or the
    staff member for paper) committed first: its proposal is the answer."""
    for name in PROPOSAL_FIELDS:
        setattr(proposal, name, fields[name])
    proposal.full_clean(exclude=["submission_key"])  # the unique keys are the insert's
    try:
        with transaction.atomic():
            proposal.save()
    except IntegrityError:
        if proposal.submission_key is None:
            raise
        return Proposal.objects.get(submission_key=proposal.submission_key, **lookup), False
    return proposal, True


def _proposal_parts_store(
    *,
    proposal: Proposal,
    budget_lines: Sequence[BudgetLine],
    attachments: Sequence,
    kinds: Sequence[str],
    at: dt.datetime,
) -> None:
    """The budget lines, the attachments (files written to private storage) and the
    first history step of a proposal just inserted."""
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
            actor=proposal.applicant or proposal.entered_by,
            at=at,
        )
    except BaseException:
        # Files are not transactional: what was written goes with the rolled-back rows.
        _delete_files(stored)
        raise


def _delete_files(names: Sequence[str]) -> None:
    for name in names:
        private_storage.delete(name)


@transaction.atomic
def proposal_transition(*, proposal_id: int, to: str, actor: User, comment: str = "") -> Proposal:
    """Move a proposal to ``to`` and record who did it, from where, and their
    ``comment``: the message to the applicant, shown on their /me/proposals/ page and
    sent to them by email after commit (:func:`proposal_status_notice_send`, once per
    step).

    Only city staff may review; withdrawal is the applicant's (see
    :func:`proposal_withdraw`). The row is locked, so two reviewers acting at once
    cannot both move it from the same status. Raises :class:`NotPermitted` and
    :class:`InvalidTransition` (current status not an allowed predecessor).
    """
    if not actor.acts_as(Role.CITY_STAFF):
        raise NotPermitted()
    if to == ProposalStatus.WITHDRAWN:
        raise InvalidTransition(field="to_status")
    step = _transition(proposal_id=proposal_id, to=to, actor=actor, comment=comment)
    if step.proposal.applicant_id is not None:  # a paper proposal's group has no account
        transaction.on_commit(lambda: send_proposal_status_notice.delay(step.pk))
    return step.proposal


@transaction.atomic
def proposal_withdraw(*, proposal_id: int, applicant: User, comment: str = "") -> Proposal:
    """The applicant withdraws their own proposal while it is still under review.
    Raises :class:`NotPermitted` (not theirs) and :class:`InvalidTransition`."""
    proposal = Proposal.objects.filter(pk=proposal_id, applicant=applicant).first()
    if proposal is None:
        raise NotPermitted()
    return _transition(
        proposal_id=proposal_id, to=ProposalStatus.WITHDRAWN, actor=applicant, comment=comment
    ).proposal


def _transition(*, proposal_id: int, to: str, actor: User, comment: str) -> ProposalHistory:
    """Move the locked proposal and record the step; the step (with its proposal)."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    if to not in TRANSITIONS or proposal.status not in TRANSITIONS[to]:
        raise InvalidTransition(field="to_status", current=proposal.status, wanted=to)
    previous = proposal.status
    proposal.status = to
    proposal.save(update_fields=["status", "updated_at"])
    return ProposalHistory.objects.create(
        proposal=proposal, from_status=previous, to_status=to, actor=actor, comment=comment
    )


def proposal_status_notice_send(*, step_id: int) -> bool:
    """Email the applicant that their proposal moved to a new status, with the
    reviewer's message (the history step ``step_id``).

    Once per step, as :func:`proposal_send_confirmation`: claim -> send -> mark
    ``notice_sent_at``; a rerun task finds it set and sends nothing. Nothing is sent
    for a paper proposal (no account), an applicant deactivated or without an email
    address, or a step that was the applicant's own (a withdrawal). Returns whether it sent."""

    def prepare():
        step = (
            ProposalHistory.objects.select_related("proposal__call", "proposal__applicant")
            .filter(pk=step_id)
            .first()
        )
        if step is None or step.notice_sent_at is not None:
            return None
        applicant = step.proposal.applicant
        if applicant is None or not applicant.is_active or not applicant.email:
            return None
        if step.actor_id == applicant.pk:
            return None
        with translation.override(language_for(applicant)):
            context = {"step": step, "proposal": step.proposal, "base_url": site.base_url()}
            subject = render_to_string("cms/email/proposal_status_subject.txt", context).strip()
            body = render_to_string("cms/email/proposal_status.txt", context)
        return lambda: send_mail(subject, body, None, [applicant.email])

    return bool(
        send_once(
            key=f"cms.proposal-status:{step_id}",
            prepare=prepare,
            mark=lambda: ProposalHistory.objects.filter(
                pk=step_id, notice_sent_at__isnull=True
            ).update(notice_sent_at=timezone.now()),
        )
    )


def proposal_send_confirmation(*, proposal_id: int) -> bool:
    """Email the applicant that their proposal arrived.

    Claim -> send -> mark (:func:`core.outbox.send_once`): no transaction or row lock
    is held while the mail goes out, so a stalled mail server never blocks the
    applicant's own actions on the proposal. A second call (a retried or redelivered
    task) finds ``confirmation_sent_at`` set and sends nothing; only a crash between
    sending and marking sends it twice. Returns whether it sent. Raises
    :class:`core.outbox.SendClaimed` while another attempt is sending it."""

    def prepare():
        proposal = (
            Proposal.objects.select_related("call", "applicant").filter(pk=proposal_id).first()
        )
        if proposal is None or proposal.applicant is None:  # on paper: no account
            return None
        if proposal.confirmation_sent_at is not None or not proposal.applicant.email:
            return None
        with translation.override(language_for(proposal.applicant)):
            context = {"proposal": proposal, "base_url": site.base_url()}
            subject = render_to_string("cms/email/proposal_received_subject.txt", context).strip()
            body = render_to_string("cms/email/proposal_received.txt", context)
        return lambda: send_mail(subject, body, None, [proposal.applicant.email])

    return bool(
        send_once(
            key=f"cms.proposal-received:{proposal_id}",
            prepare=prepare,
            mark=lambda: Proposal.objects.filter(
                pk=proposal_id, confirmation_sent_at__isnull=True
            ).update(confirmation_sent_at=timezone.now()),
        )
    )
