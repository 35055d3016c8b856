"""Deciding the proposals to a call: each reviewer's scoring sheet and the
publication of the call's results.

Each function is keyword-only, runs in one database transaction and raises
``cms.exceptions`` errors (stable codes) for rule breaches; only city staff act here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from cms.exceptions import CallStillOpen, ProposalDecided, ScoreInvalid
from cms.models import (
    CallResultsPublication,
    Proposal,
    ProposalCallPage,
    ProposalCriterion,
    ProposalStatus,
    Score,
    ScoreSheet,
)
from cms.models.decisions import SCORE_MAX, SCORE_MIN
from core.errors import NotPermitted

#: Once a proposal is in one of these, its scoring sheets are frozen.
DECIDED = frozenset({ProposalStatus.ACCEPTED, ProposalStatus.DECLINED, ProposalStatus.WITHDRAWN})


@dataclass(frozen=True)
class CriterionScore:
    criterion_id: int
    score: int
    comment: str = ""


@transaction.atomic
def score_sheet_save(
    *,
    proposal_id: int,
    reviewer: User,
    scores: list[CriterionScore],
    comment: str = "",
) -> ScoreSheet:
    """Store ``reviewer``'s scoring sheet of a proposal: a score from 1 to 5 (and a
    comment) on every criterion of its call, and an overall comment.

    One sheet per reviewer per proposal: saving again replaces the reviewer's own
    scores, never another reviewer's. The proposal row is locked, so a sheet cannot
    be saved after a decision committed at the same moment. Raises
    :class:`NotPermitted` (not city staff), :class:`ProposalDecided` (accepted,
    declined or withdrawn) and :class:`ScoreInvalid` (a criterion missing or of
    another call, or a score outside 1-5).
    """
    if not reviewer.acts_as(Role.CITY_STAFF):
        raise NotPermitted()
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.status in DECIDED:
        raise ProposalDecided()
    criteria = set(
        ProposalCriterion.objects.filter(call_id=proposal.call_id).values_list("pk", flat=True)
    )
    given = {item.criterion_id: item for item in scores}
    if not criteria or set(given) != criteria or len(given) != len(scores):
        raise ScoreInvalid(field="scores")
    if any(not SCORE_MIN <= item.score <= SCORE_MAX for item in scores):
        raise ScoreInvalid(field="scores")
    sheet, _created = ScoreSheet.objects.get_or_create(proposal=proposal, reviewer=reviewer)
    sheet.comment = comment
    sheet.save(update_fields=["comment", "updated_at"])
    sheet.scores.all().delete()
    Score.objects.bulk_create(
        Score(sheet=sheet, criterion_id=item.criterion_id, score=item.score, comment=item.comment)
        for item in scores
    )
    return sheet


@transaction.atomic
def call_results_publish(*, call_id: int, actor: User, remarks: str = "") -> CallResultsPublication:
    """Publish the results of a call: from now its public results page lists the
    accepted proposals (group, title, summary) and counts of the rest.

    Once: publishing again returns the first publication unchanged. Raises
    :class:`NotPermitted` (not city staff) and :class:`CallStillOpen` (the call still
    accepts proposals).
    """
    if not actor.acts_as(Role.CITY_STAFF):
        raise NotPermitted()
    call = ProposalCallPage.objects.select_for_update().get(pk=call_id)
    earlier = CallResultsPublication.objects.filter(call=call).first()
    if earlier is not None:
        return earlier
    if call.is_open():
        raise CallStillOpen()
    return CallResultsPublication.objects.create(
        call=call, published_by=actor, published_at=timezone.now(), remarks=remarks
    )
