"""Recording the coordinators' calls from the daily call list."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from volunteers.selectors.call_list import SOURCES


@transaction.atomic
def call_list_mark_called(*, refs: list[str], by: User, at: dt.datetime | None = None) -> int:
    """Record that ``by`` phoned about the items ``refs`` (``"<source>:<id>"``, as the
    call list names them) at ``at`` (default now). Those items leave the call list and
    are never sent by a channel afterwards. Unknown or malformed refs are ignored;
    items already told keep their first record. Returns how many calls it recorded."""
    at = at or timezone.now()
    ids: dict[str, list[int]] = {}
    for ref in refs:
        name, _sep, pk = ref.partition(":")
        if name in SOURCES and pk.isdigit():
            ids.setdefault(name, []).append(int(pk))
    return sum(SOURCES[name].mark_called(pks, by, at) for name, pks in ids.items())
