"""A TOTP code computed independently of allauth (RFC 6238, SHA-1, 6 digits, 30 s)."""

import base64
import hashlib
import hmac
import struct
import time


def totp_now(secret: str, *, at: float | None = None) -> str:
    counter = int((time.time() if at is None else at) // 30)
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"
