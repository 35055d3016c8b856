"""Fingerprints: what a request asks for, to tell a replay from a conflicting reuse."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from accounts.models import User
from points.models import TransactionKind


def fingerprint(content: dict[str, Any]) -> str:
    """Digest of what a request asks for, to tell a replay from a conflicting reuse."""
    return hashlib.sha256(
        json.dumps(content, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()


def request_fingerprint(content_digest: str, *, actor_id: int | None, memo: str) -> str:
    """The stored fingerprint: the content's digest together with who asked and the
    memo. Both are part of what was asked to be recorded, so a key reused by someone
    else or with another memo is a client bug and a conflict, not a silent replay of
    the original. Built on the content's digest so that migration 0006 could bring
    the rows stored before from their own columns (``actor_id``, ``memo``)."""
    return fingerprint({"content": content_digest, "actor": actor_id, "memo": memo})


def posting_fingerprint(
    kind: TransactionKind, content: dict[str, Any], actor: User | None, memo: str
) -> str:
    """The fingerprint stored on a posting of ``kind`` with ``content``."""
    return request_fingerprint(
        fingerprint({"kind": kind, **content}),
        actor_id=actor.pk if actor is not None else None,
        memo=memo,
    )
