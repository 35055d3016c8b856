"""The lot replay behind expiry: which of a wallet's points are past their validity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

# (transaction id, amount, the transaction's expires_on, the id it reverses)
Posting = tuple[int, int, dt.date | None, int | None]


def expired_in_lots(postings: Iterable[Posting], as_of: dt.date) -> int:
    """Points left in lots that expired before ``as_of``, after replaying a wallet's
    ``postings`` in the order they were made:

    * an inflow is a lot valid until its transaction's ``expires_on`` (earning rules
      set it; adjustments, transfers in and earns without a rule never expire);
    * an outflow uses the lots that exist at that moment, soonest-expiring first
      (points that never expire last), so a spend never eats into points earned after
      it, and an expiry run uses exactly the lots it found expired;
    * a reversal undoes its original's effect on the lots: reversing an inflow takes
      back what is left of that inflow's own lot first, reversing an outflow (a spend
      refunded, an expiry returned) gives back the very lots it used, with their dates.
    """
    return sum(left for expires_on, left in _replay(postings) if expires_on < as_of)


def lots_left(postings: Iterable[Posting]) -> dict[dt.date, int]:
    """What is left of each lot after replaying ``postings`` (the rules of
    :func:`expired_in_lots`), summed by expiry date; points that never expire and
    empty lots are left out."""
    left_by_date: dict[dt.date, int] = {}
    for expires_on, left in _replay(postings):
        if left and expires_on != dt.date.max:
            left_by_date[expires_on] = left_by_date.get(expires_on, 0) + left
    return left_by_date


def _replay(postings: Iterable[Posting]) -> list[tuple[dt.date, int]]:
    """(expiry, points left) of every lot once ``postings`` are replayed."""
    never = dt.date.max
    lots: dict[int, list] = {}  # lot id (the transaction that made it) -> [expiry, left]
    used: dict[int, list[tuple[int, int]]] = {}  # outflow's transaction -> (lot, points)

    def add(lot_id: int, expires_on: dt.date, amount: int) -> None:
        lot = lots.setdefault(lot_id, [expires_on, 0])
        lot[1] += amount

    for transaction_id, amount, expires_on, reverses_id in postings:
        if amount > 0:
            restored = used.pop(reverses_id, []) if reverses_id else []
            for lot_id, points in restored:
                add(lot_id, lots[lot_id][0], points)
                amount -= points
            if amount > 0:  # an inflow of its own (or more than the original used)
                add(transaction_id, expires_on or never, amount)
            continue
        used[transaction_id] = _take(lots, -amount, first=reverses_id)
    return [(expires_on, left) for expires_on, left in lots.values()]


def _take(lots: dict[int, list], wanted: int, *, first: int | None) -> list[tuple[int, int]]:
    """Take ``wanted`` points from ``lots``, soonest-expiring first (lot ``first``, the
    inflow a reversal takes back, before all others); returns (lot, points) taken."""
    taken: list[tuple[int, int]] = []
    order = sorted(lots, key=lambda lot_id: (lots[lot_id][0], lot_id))
    if first in lots:  # taking back an inflow: its own lot first
        order.remove(first)
        order.insert(0, first)
    for lot_id in order:
        if wanted == 0:
            break
        take = min(wanted, lots[lot_id][1])
        if take:
            lots[lot_id][1] -= take
            wanted -= take
            taken.append((lot_id, take))
    return taken
