"""Earning: an activity credited under its rule, within the daily and yearly limits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts.models import User
from points.exceptions import CapReached, RuleNotApplicable
from points.ledger import database
from points.ledger.fingerprints import posting_fingerprint
from points.ledger.posting import Builder, Lines, post, replay
from points.models import Account, CapReason, EarningRule, Transaction, TransactionKind
from points.selectors import earned_between
from points.services.accounts import wallet_and_issuance


def points_award(
    *,
    user: User,
    rule: EarningRule,
    activity_date: dt.date,
    duration_minutes: int,
    idempotency_key: str,
    actor: User | None = None,
    reference: str = "",
    memo: str = "",
    allow_partial: bool = True,
) -> Transaction:
    """Credit ``user`` for an activity under ``rule``, within the daily and yearly limits.

    The limits are checked while the wallet is locked, so concurrent awards cannot
    exceed them. What the limits hold back is recorded on the transaction
    (``capped_points``, ``cap_reason``) so the volunteer can see why; a fully capped
    award is recorded with zero points. With ``allow_partial=False`` a capped award
    raises :class:`CapReached` instead and nothing is written.

    Raises :class:`RuleNotApplicable` (inactive rule, too short, under age or birth
    date unknown), :class:`CapReached`, :class:`IdempotencyConflict`.
    """
    content = {
        "user": user.pk,
        "rule": rule.pk,
        "date": activity_date.isoformat(),
        "minutes": duration_minutes,
        "reference": reference,
    }
    posting = {"idempotency_key": idempotency_key, "actor": actor, "memo": memo}
    try:
        requested = _requested_points(user, rule, activity_date, duration_minutes)
    except RuleNotApplicable as refused:
        return _replay_or_raise(refused, content, **posting)
    wallet, issuance = wallet_and_issuance(user)
    earning = {"rule": rule, "activity_date": activity_date, "requested_points": requested}
    # On the module, not imported by name: tests patch ``database.posts_in_database``.
    if database.posts_in_database():
        txn = Transaction(
            kind=TransactionKind.EARN,
            fingerprint=posting_fingerprint(TransactionKind.EARN, content, actor, memo),
            reference=reference,
            expires_on=rule.expiry_for(activity_date),
            **posting,
            **earning,
        )
        return _award_in_database(txn, wallet, issuance, allow_partial)
    return post(
        kind=TransactionKind.EARN,
        content=content,
        account_ids=[wallet.pk, issuance.pk],
        build=_capped_credit(wallet, issuance, allow_partial=allow_partial, **earning),
        reference=reference,
        **posting,
    )


def _replay_or_raise(
    refused: RuleNotApplicable,
    content: dict[str, Any],
    *,
    idempotency_key: str,
    actor: User | None,
    memo: str,
) -> Transaction:
    """A retry returns the original even if the rule or the person changed since;
    anything else is ``refused``. Looked up only when a check fails: a passing retry is
    caught under the locks (``post``), so the usual award saves this query."""
    digest = posting_fingerprint(TransactionKind.EARN, content, actor, memo)
    existing = replay(idempotency_key, digest)
    if existing is not None:
        return existing
    raise refused


def _award_in_database(
    txn: Transaction, wallet: Account, issuance: Account, allow_partial: bool
) -> Transaction:
    """The PostgreSQL path: the limits of ``txn.rule`` for ``txn.activity_date``, daily
    then yearly, checked in ``points_award_post()``."""
    rule, day = txn.rule, txn.activity_date
    return database.award_in_database(
        txn,
        wallet=wallet,
        issuance=issuance,
        caps=[
            (CapReason.DAILY, rule.daily_cap, (day, day)),
            (CapReason.YEARLY, rule.yearly_cap, rule.year_bounds(day)),
        ],
        allow_partial=allow_partial,
    )


def _requested_points(
    user: User, rule: EarningRule, activity_date: dt.date, duration_minutes: int
) -> int:
    """What the activity earns before the limits; raises :class:`RuleNotApplicable`
    for an inactive rule, a too short activity, an under-age or unknown birth date."""
    if not rule.active:
        raise RuleNotApplicable(reason="inactive_rule")
    requested = rule.points_for(duration_minutes)
    if rule.min_age is not None:
        age = user.age_on(activity_date)
        if age is None or age < rule.min_age:
            raise RuleNotApplicable(
                reason="under_age" if age is not None else "birth_date_unknown",
                minimum_age=rule.min_age,
            )
    return requested


def _capped_credit(
    wallet: Account,
    issuance: Account,
    *,
    rule: EarningRule,
    activity_date: dt.date,
    requested_points: int,
    allow_partial: bool,
) -> Builder:
    """The Python path's build step: the credit cut to the room the daily, then the
    yearly limit leaves (read under the wallet lock), and the earning details."""

    requested = requested_points

    def build(locked: dict[int, Account]) -> tuple[Lines, dict[str, Any]]:
        credit, reason = requested, CapReason.NONE
        if rule.daily_cap is not None:
            room = max(
                0, rule.daily_cap - earned_between(wallet, rule, activity_date, activity_date)
            )
            if room < credit:
                credit, reason = room, CapReason.DAILY
        if rule.yearly_cap is not None:
            room = max(
                0, rule.yearly_cap - earned_between(wallet, rule, *rule.year_bounds(activity_date))
            )
            if room < credit:
                credit, reason = room, CapReason.YEARLY
        if credit < requested and not allow_partial:
            raise CapReached(cap=reason.value, requested=requested, available=credit)
        details = {
            "rule": rule,
            "activity_date": activity_date,
            "requested_points": requested,
            "capped_points": requested - credit,
            "cap_reason": reason,
            "expires_on": rule.expiry_for(activity_date),
        }
        return [(wallet.pk, credit), (issuance.pk, -credit)], details

    return build
