"""What city staff decide about the proposals to a call: the criteria they score on,
each reviewer's scoring sheet, the hearings (公開ヒアリング・審査会) and the
publication of a call's results."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cms.models.pages import ProposalCallPage
from cms.models.proposals import Proposal

#: The scale of every criterion: 1 (weak) to 5 (excellent).
SCORE_MIN, SCORE_MAX = 1, 5


class ProposalCriterion(models.Model):
    """One criterion the proposals to a call are scored on (審査項目), 1 to 5."""

    call = models.ForeignKey(
        ProposalCallPage,
        on_delete=models.CASCADE,
        related_name="criteria",
        verbose_name=_("call"),
    )
    name = models.CharField(_("criterion"), max_length=200)
    description = models.TextField(_("what reviewers look for"), blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["call", "position", "pk"]
        verbose_name = _("scoring criterion")
        verbose_name_plural = _("scoring criteria")
        constraints = [
            models.UniqueConstraint(fields=["call", "name"], name="cms_criterion_once_per_call")
        ]

    def __str__(self) -> str:
        return f"{self.call.title}: {self.name}"


class ScoreSheet(models.Model):
    """One reviewer's scores of one proposal: one sheet per reviewer per proposal,
    editable until the proposal is decided."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="score_sheets", verbose_name=_("proposal")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    comment = models.TextField(_("overall comment"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["proposal", "pk"]
        verbose_name = _("scoring sheet")
        verbose_name_plural = _("scoring sheets")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "reviewer"], name="cms_one_sheet_per_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.proposal} / {self.reviewer}"


class Score(models.Model):
    """A reviewer's score on one criterion, with their comment."""

    sheet = models.ForeignKey(ScoreSheet, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(
        ProposalCriterion,
        on_delete=models.PROTECT,
        related_name="scores",
        verbose_name=_("criterion"),
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)]
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["criterion__position", "criterion_id"]
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["sheet", "criterion"], name="cms_one_score_per_item"),
            models.CheckConstraint(
                condition=models.Q(score__gte=SCORE_MIN, score__lte=SCORE_MAX),
                name="cms_score_one_to_five",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.name}: {self.score}"


class ProposalHearing(models.Model):
    """A public hearing or review meeting (公開ヒアリング・審査会) of a call, or of one
    proposal to it. Its public notice shows the group's name and the project's title,
    never the applicant's personal data."""

    call = models.ForeignKey(
        ProposalCallPage,
        on_delete=models.CASCADE,
        related_name="hearings",
        verbose_name=_("call"),
    )
    proposal = models.ForeignKey(
        Proposal,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="hearings",
        verbose_name=_("proposal"),
        help_text=_("Leave empty for a hearing of the whole call."),
    )
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(pgettext_lazy("hearing", "place"), max_length=200)
    notes = models.TextField(
        _("notes for the public"),
        blank=True,
        help_text=_("Shown on the public notice: how to attend, seats, and so on."),
    )

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("hearing")
        verbose_name_plural = _("hearings")

    def __str__(self) -> str:
        return f"{self.title}（{timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}）"

    def clean(self):
        errors = {}
        if self.proposal_id and self.call_id and self.proposal.call_id != self.call_id:
            errors["proposal"] = _("This proposal was submitted to another call.")
        if self.ends_at and self.starts_at and self.ends_at < self.starts_at:
            errors["ends_at"] = _("The end must be after the start.")
        if errors:
            raise ValidationError(errors)


class CallResultsPublication(models.Model):
    """That city staff published the results of a call, and when. A separate record,
    not a field of the page, so that publishing a page revision cannot undo it."""

    call = models.OneToOneField(
        ProposalCallPage,
        on_delete=models.CASCADE,
        related_name="results_publication",
        verbose_name=_("call"),
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("published by"),
    )
    remarks = models.TextField(_("remarks"), blank=True)

    class Meta:
        verbose_name = _("published results")
        verbose_name_plural = _("published results")

    def __str__(self) -> str:
        return str(self.call)
