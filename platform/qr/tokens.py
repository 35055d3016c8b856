"""Signed scan tokens for printed QR codes (venue posters, personal cards).

A token carries a purpose, an object id and a key version, signed with Django's
signing framework under a purpose-specific salt. Reprinting a poster or card bumps the
object's version, which revokes every earlier print. Tokens are short enough for a
QR code that scans easily from across a room.

:func:`read` tells apart the ways a token can be wrong, so the scan page can say why:
``tampered`` (not signed by us), ``wrong_purpose`` (signed for another use, e.g. a card
shown where a poster is expected) and ``revoked`` (an old print).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

SALT_PREFIX = "ikiiki.qr."
PURPOSES = ("place", "card")


class BadToken(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Token:
    purpose: str
    object_id: int
    version: int


def make(purpose: str, object_id: int, version: int) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    # A plain Signer (no timestamp): the same object and version always give the same
    # token, so a reprint of an unchanged poster is identical and the QR stays small.
    return signing.Signer(salt=SALT_PREFIX + purpose).sign_object([object_id, version])


def identify(token: str) -> Token:
    """The token's purpose and content, whichever known purpose signed it.
    Raises :class:`BadToken` ("tampered")."""
    for purpose in PURPOSES:
        try:
            object_id, version = signing.Signer(salt=SALT_PREFIX + purpose).unsign_object(token)
        except (signing.BadSignature, ValueError, TypeError):
            continue
        if isinstance(object_id, int) and isinstance(version, int):
            return Token(purpose, object_id, version)
    raise BadToken("tampered")


def read(token: str, purpose: str) -> Token:
    """Verify ``token`` for ``purpose``. Raises :class:`BadToken` ("tampered" or
    "wrong_purpose"); checking the version against the object is the caller's."""
    found = identify(token)
    if found.purpose != purpose:
        raise BadToken("wrong_purpose")
    return found
