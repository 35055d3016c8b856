"""Collaboration proposals: what a citizen group submits to a call, its budget lines,
attachments (private files) and review history."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cms.models.pages import ProposalCallPage


class ProposalStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    SCREENING = "screening", _("Screening")
    HEARING = "hearing", _("Public hearing")
    ACCEPTED = "accepted", pgettext_lazy("proposal status", "Accepted")
    DECLINED = "declined", pgettext_lazy("proposal status", "Declined")
    WITHDRAWN = "withdrawn", pgettext_lazy("proposal status", "Withdrawn")


class PrivateStorage(FileSystemStorage):
    """Uploads that are never served as public media: only a view that checks the
    requester (the applicant or city staff) streams them."""

    def __init__(self, **kwargs):
        kwargs.setdefault("location", settings.PRIVATE_MEDIA_ROOT)
        kwargs.setdefault("base_url", None)
        super().__init__(**kwargs)

    def url(self, name):
        raise ValueError("Private files have no public URL; use the download view.")

    def deconstruct(self):
        return ("cms.models.PrivateStorage", (), {})


private_storage = PrivateStorage()


class Proposal(models.Model):
    """A collaboration proposal submitted by a citizen group to a call: online by a
    signed-in applicant, or handed in on paper and entered by city staff (then it has
    no applicant account, and records when it was received and who entered it)."""

    call = models.ForeignKey(
        ProposalCallPage,
        on_delete=models.PROTECT,
        related_name="proposals",
        verbose_name=_("call"),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("applicant"),
        help_text=_("Empty for a proposal received on paper."),
    )
    received_on_paper = models.BooleanField(_("received on paper"), default=False)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    contact = models.CharField(
        _("contact"),
        max_length=200,
        blank=True,
        help_text=_("How to reach the group (phone or address), for a paper proposal."),
    )
    group_name = models.CharField(_("group name"), max_length=200)
    representative = models.CharField(_("representative"), max_length=150)
    members_count = models.PositiveIntegerField(
        _("number of members"), validators=[MinValueValidator(3)]
    )
    years_active = models.PositiveIntegerField(_("years active"))
    title = models.CharField(_("proposal title"), max_length=200)
    purpose = models.TextField(_("purpose"))
    content = models.TextField(_("content"))
    expected_effect = models.TextField(_("expected effect"))
    role_division = models.TextField(_("division of roles with the city"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ProposalStatus.choices,
        default=ProposalStatus.SUBMITTED,
        db_index=True,
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    confirmation_sent_at = models.DateTimeField(
        _("confirmation sent at"), null=True, blank=True, editable=False
    )
    # One per rendering of the form: a double click or a resent POST carries the same
    # key and finds the proposal already stored instead of making a second one.
    submission_key = models.UUIDField(_("submission key"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("collaboration proposal")
        verbose_name_plural = _("collaboration proposals")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(members_count__gte=3), name="cms_proposal_three_members"
            ),
            models.UniqueConstraint(
                fields=["applicant", "submission_key"], name="cms_proposal_once_per_key"
            ),
            # A paper proposal has no applicant: its key is unique per staff member.
            models.UniqueConstraint(
                fields=["entered_by", "submission_key"],
                condition=models.Q(received_on_paper=True),
                name="cms_paper_proposal_once_per_key",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(received_on_paper=False, applicant__isnull=False)
                    | models.Q(
                        received_on_paper=True,
                        entered_by__isnull=False,
                        received_on__isnull=False,
                    )
                ),
                name="cms_proposal_online_or_paper",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.group_name}）"

    @cached_property
    def budget_total(self) -> int:
        return sum(line.amount_yen for line in self.budget_lines.all())

    @property
    def reference(self) -> str:
        return f"P-{self.submitted_at:%Y}-{self.pk:05d}"


class ProposalBudgetLine(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="budget_lines")
    item = models.CharField(pgettext_lazy("budget line", "item"), max_length=200)
    amount_yen = models.PositiveIntegerField(_("amount (yen)"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")

    def __str__(self) -> str:
        return f"{self.item}: ¥{self.amount_yen:,}"


def _attachment_path(instance, filename: str) -> str:
    # The stored name never reuses the uploaded name (which is kept as data).
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"proposals/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{suffix}"


class ProposalAttachment(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=_attachment_path, storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("type"), max_length=8)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class ProposalHistory(models.Model):
    """One step of a proposal's review: who moved it, from where to where, their message
    to the applicant, and when the applicant was told of it."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(
        pgettext_lazy("status change", "from"),
        max_length=16,
        choices=ProposalStatus.choices,
        blank=True,
    )
    to_status = models.CharField(_("to"), max_length=16, choices=ProposalStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    # Shown to the applicant on /me/proposals/ and sent in the notice of the change.
    comment = models.TextField(_("message to the applicant"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    notice_sent_at = models.DateTimeField(
        _("applicant notified at"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("review step")
        verbose_name_plural = _("review history")

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"
