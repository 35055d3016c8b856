"""Voucher codes: random, typo-tolerant, and never stored in the clear.

A code is 16 random symbols (80 bits from the OS's CSPRNG) from Crockford's base-32
alphabet (no I, L, O or U, so nothing reads as 1 or 0), plus one Luhn mod 32 check
symbol that catches any single mistyped symbol and most swaps of neighbours. It is
shown as ``XXXX-XXXX-XXXX-XXXX-X``.

Input is forgiving: full-width characters, lower case, spaces, hyphens and look-alike
letters (O→0, I/L→1, U→V) are normalised before the check and the lookup.

The database keeps only an HMAC of the code (for lookup) and the code sealed with
AES-GCM (to show it to its owner again). Both keys are derived from
``VOUCHER_CODE_KEY`` (falling back to ``SECRET_KEY`` outside production), which never
lives in the database, so a leaked database leaks no usable code.

Rotation: a new key goes into ``VOUCHER_CODE_KEY`` and the old one into
``VOUCHER_CODE_OLD_KEYS``. New codes are sealed and looked up under the new key; codes
issued earlier still open, because a sealed code names the key it was sealed with (a
short key id derived from the key, never the key) and lookup tries every key. A code
whose key is no longer configured cannot be shown (:class:`UnreadableCode`); it is never
an error page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import unicodedata
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_SYMBOLS = 16
LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


class MalformedCode(ValueError):
    """Not a voucher code at all (wrong length or characters)."""


class MistypedCode(ValueError):
    """The right shape, but the check symbol does not match: a typo."""


class UnreadableCode(ValueError):
    """A sealed code none of the configured keys opens (its key was removed)."""


def _check_symbol(symbols: str) -> str:
    """Luhn mod 32 over ``symbols``."""
    total, factor = 0, 2
    for char in reversed(symbols):
        addend = factor * ALPHABET.index(char)
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def generate() -> str:
    """A new code in canonical form (17 symbols, no separators)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return body + _check_symbol(body)


def normalize(typed: str) -> str:
    """Canonical form of what someone typed or scanned.

    Raises :class:`MalformedCode` or :class:`MistypedCode`.
    """
    text = unicodedata.normalize("NFKC", typed or "").upper().translate(LOOK_ALIKES)
    text = "".join(ch for ch in text if ch not in " -\u30fc\u2010\u2212_.\t")
    if len(text) != RANDOM_SYMBOLS + 1 or any(ch not in ALPHABET for ch in text):
        raise MalformedCode(typed)
    if _check_symbol(text[:-1]) != text[-1]:
        raise MistypedCode(typed)
    return text


def display(code: str) -> str:
    """``XXXX-XXXX-XXXX-XXXX-X``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@cache
def _keys(secret: str) -> tuple[bytes, bytes, str]:
    """The lookup key, the sealing key and the key id derived from ``secret``."""
    material = HKDF(
        algorithm=hashes.SHA256(), length=64, salt=b"ikiiki-voucher-codes", info=b"v1"
    ).derive(secret.encode())
    key_id = hmac.new(material[:32], b"key-id", hashlib.sha256).hexdigest()[:8]
    return material[:32], material[32:], key_id


def _secrets() -> list[str]:
    """The current key first, then the retired ones that still open old codes."""
    current = getattr(settings, "VOUCHER_CODE_KEY", "") or settings.SECRET_KEY
    retired = [key for key in getattr(settings, "VOUCHER_CODE_OLD_KEYS", []) if key]
    return [current, *[key for key in retired if key != current]]


def digest(code: str) -> str:
    """Lookup key for a canonical code, under the current key."""
    lookup_key, _, _ = _keys(_secrets()[0])
    return hmac.new(lookup_key, code.encode(), hashlib.sha256).hexdigest()


def digests(code: str) -> list[str]:
    """Lookup keys for a canonical code under every configured key, current first."""
    return [
        hmac.new(_keys(secret)[0], code.encode(), hashlib.sha256).hexdigest()
        for secret in _secrets()
    ]


def seal(code: str) -> str:
    """``<key id>:<nonce + AES-GCM ciphertext, base64>`` under the current key."""
    _, sealing_key, key_id = _keys(_secrets()[0])
    nonce = os.urandom(12)
    body = base64.b64encode(nonce + AESGCM(sealing_key).encrypt(nonce, code.encode(), None))
    return f"{key_id}:{body.decode()}"


def unseal(sealed: str) -> str:
    """The code inside ``sealed``. Codes sealed before key ids existed (no prefix) are
    tried under every key. Raises :class:`UnreadableCode` if no configured key opens it."""
    key_id, _, body = sealed.rpartition(":")
    for secret in _secrets():
        _, sealing_key, candidate_id = _keys(secret)
        if key_id and key_id != candidate_id:
            continue
        try:
            raw = base64.b64decode(body)
            return AESGCM(sealing_key).decrypt(raw[:12], raw[12:], None).decode()
        except (InvalidTag, ValueError):
            continue
    raise UnreadableCode(key_id or "legacy")
