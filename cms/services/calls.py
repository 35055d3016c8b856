"""Calls for proposals: closing one in a single step (the window's end set to now)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cms.models import ProposalCallPage
from core.errors import NotPermitted


@transaction.atomic
def proposal_call_close(
    *, call_id: int, actor: User, at: dt.datetime | None = None
) -> ProposalCallPage:
    """Close a call now: its window ends at ``at`` (default now), published as a new
    revision by ``actor``, so the page says it is closed and the form refuses
    submissions. Proposals already received stay in review.

    Only users who may publish the page (city staff) may close it
    (:class:`NotPermitted`). A call that is already closed or not published is left
    as it is. Changes waiting as a draft stay a draft, with the same new end.
    """
    # Whole seconds: revisions store times to the millisecond, and the draft and the
    # live page must agree.
    at = (at or timezone.now()).replace(microsecond=0)
    call = ProposalCallPage.objects.select_for_update(of=("self",)).get(pk=call_id)
    if not call.permissions_for_user(actor).can_publish():
        raise NotPermitted()
    if not call.live or call.closes_at <= at:
        return call
    draft = call.get_latest_revision_as_object() if call.has_unpublished_changes else None
    call.closes_at, call.opens_at = at, min(call.opens_at, at)
    call.save_revision(user=actor, log_action=True).publish(user=actor)
    if draft is not None:
        draft.closes_at, draft.opens_at = at, min(draft.opens_at, at)
        draft.save_revision(user=actor, log_action=True)
    return call
