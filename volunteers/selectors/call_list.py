"""The coordinators' daily call list: everyone who has something to be told that no
channel can carry to them (no email, no LINE), with what to tell them.

Each kind of notice is a :class:`CallSource`: it lists its items for today and marks
them called. Expiry notices (points) are the first source; another kind of notice (an
offer, a proposal decision, ...) adds rows by adding its source to :data:`SOURCES`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from accounts.models import User
from points.selectors.notices import expiry_notice_script, expiry_notices_to_call
from points.services.notices import expiry_notices_mark_called


@dataclass(frozen=True)
class CallItem:
    """One thing to tell: ``ref`` (``"<source>:<id>"``) names it to the "called" button."""

    ref: str
    what: str
    due_on: dt.date


@dataclass
class CallRow:
    person: User
    items: list[CallItem] = field(default_factory=list)


@dataclass(frozen=True)
class CallSource:
    """``items(today)`` yields (person, item id, what to say, due day);
    ``mark_called(ids, by, at)`` records the call and returns how many it recorded,
    and guarantees those items are never listed nor sent again."""

    items: Callable[[dt.date], list[tuple[User, int, str, dt.date]]]
    mark_called: Callable[..., int]


def _expiry_items(today: dt.date) -> list[tuple[User, int, str, dt.date]]:
    return [
        (notice.user, notice.pk, expiry_notice_script(notice, points), notice.expires_on)
        for notice, points in expiry_notices_to_call(today)
    ]


def _expiry_mark(ids: list[int], by: User, at: dt.datetime) -> int:
    return expiry_notices_mark_called(notice_ids=ids, by=by, at=at)


SOURCES: dict[str, CallSource] = {
    "expiry": CallSource(items=_expiry_items, mark_called=_expiry_mark),
}


def call_list(today: dt.date) -> list[CallRow]:
    """Who to phone on ``today`` and what to tell each, one row per person (sorted by
    kana), their items soonest first. Texts in the active language."""
    rows: dict[int, CallRow] = {}
    for name, source in SOURCES.items():
        for person, pk, what, due_on in source.items(today):
            row = rows.setdefault(person.pk, CallRow(person=person))
            row.items.append(CallItem(ref=f"{name}:{pk}", what=what, due_on=due_on))
    for row in rows.values():
        row.items.sort(key=lambda item: (item.due_on, item.ref))
    return sorted(rows.values(), key=lambda r: (r.person.full_name_kana, r.person.pk))
