"""The LINE Messaging API's push endpoint, the one call the LINE channel makes.

https://developers.line.biz/en/reference/messaging-api/#send-push-message: a JSON body
``{"to": userId, "messages": [{"type": "text", "text": ...}]}`` with the channel access
token as a Bearer token. ``X-Line-Retry-Key`` (a UUID) makes a retried request run at
most once: a repeat of an accepted key answers 409 (and was delivered the first time).
https://developers.line.biz/en/docs/messaging-api/retrying-api-request/

Outcomes: 200 and 409 delivered; 5xx, 429 (rate or monthly limit) and network errors
are worth another try (:class:`LineUnavailable`, an ``OSError`` like the network errors,
so the task base class retries them); any other 4xx (a bad token, a user unknown to the
bot, a malformed request) will not get better by retrying (:class:`LineRefused`).
"""

from __future__ import annotations

import logging
import uuid

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

PUSH_PATH = "/v2/bot/message/push"
#: A text message's limit (characters, counted here in UTF-16 code units like the
#: platform's JSON, so an emoji counts two and a message never overshoots).
TEXT_MAX = 5000
ELLIPSIS = "…"
#: Retry keys are UUIDs derived from the outbox key: the same message to the same LINE
#: user always carries the same key, whichever attempt sends it.
RETRY_KEY_NAMESPACE = uuid.UUID("8f0c3c6e-5d0b-4d8e-9a54-2b6f1d7c9e31")


class LineUnavailable(OSError):
    """LINE did not take the message now (5xx, 429): try again later."""


class LineRefused(Exception):
    """LINE refused the message for good (4xx other than 409 and 429)."""

    def __init__(self, status: int, detail: str):
        super().__init__(f"LINE refused the push: HTTP {status} {detail}")
        self.status = status


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def line_text(subject: str, body: str) -> str:
    """Subject and body as one text message of at most :data:`TEXT_MAX` characters:
    a longer body is cut at the last line break that fits (else at the limit) and ends
    with an ellipsis, so the subject, which says what it is about, always survives."""
    text = f"{subject}\n\n{body}" if body else subject
    if _utf16_len(text) <= TEXT_MAX:
        return text
    room = TEXT_MAX - _utf16_len(ELLIPSIS)
    cut = text
    while _utf16_len(cut) > room:  # characters outside the BMP count two
        cut = cut[: room - (_utf16_len(cut) - len(cut))]
    line_break = cut.rfind("\n")
    if line_break > len(subject) + 1:  # a break inside the body, not the one after the subject
        cut = cut[:line_break].rstrip() + "\n"
    return cut + ELLIPSIS


def line_retry_key(outbox_key: str, line_user_id: str) -> str:
    """The ``X-Line-Retry-Key`` of message ``outbox_key`` to ``line_user_id``."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"{outbox_key}|{line_user_id}"))


def line_push(*, to: str, text: str, retry_key: str | None) -> None:
    """Push one text message to LINE user ``to``. Returns when LINE accepted it (now or
    on an earlier try with the same ``retry_key``); raises :class:`LineUnavailable` or a
    ``requests`` network error (both ``OSError``) to be retried, :class:`LineRefused`
    when retrying would not help. Never call it inside a transaction."""
    headers = {"Authorization": f"Bearer {settings.LINE_CHANNEL_ACCESS_TOKEN}"}
    if retry_key:
        headers["X-Line-Retry-Key"] = retry_key
    response = requests.post(
        settings.LINE_API_BASE_URL.rstrip("/") + PUSH_PATH,
        json={"to": to, "messages": [{"type": "text", "text": text}]},
        headers=headers,
        timeout=(settings.LINE_CONNECT_TIMEOUT, settings.LINE_TIMEOUT),
    )
    status = response.status_code
    if status == 200:
        return
    if status == 409:  # accepted on an earlier try with this key: delivered then
        logger.info("LINE push already accepted for this retry key")
        return
    detail = _error_message(response)
    if status == 429 or status >= 500:
        raise LineUnavailable(f"LINE push: HTTP {status} {detail}")
    # 401/403 mean the channel itself is misconfigured (every push fails): an error.
    level = logging.ERROR if status in (401, 403) else logging.WARNING
    logger.log(level, "LINE push refused: HTTP %s %s", status, detail)
    raise LineRefused(status, detail)


def _error_message(response: requests.Response) -> str:
    # The error body names the problem, never the user: safe to log.
    try:
        return str(response.json().get("message", ""))[:200]
    except ValueError:
        return ""
