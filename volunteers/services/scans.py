"""A scan request sent with an idempotency key (``request_id``, as the points API's
exchange takes one): a retried request gets the first answer, never a second toggle."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from volunteers.exceptions import ScanRequestReused
from volunteers.models import Activity, Place, ScanReceipt
from volunteers.services.activity import CHECK_IN_REPEAT_WINDOW, scan_toggle

#: How long a scan's first answer is kept for retries with its ``request_id``: well
#: past the repeat window, for a phone that retries after being offline for a while.
SCAN_RECEIPT_MARGIN = dt.timedelta(days=1)


def scan_request(
    *,
    token: str,
    user: User,
    place: Place | None = None,
    kiosk_code: str = "",
    request_id: uuid.UUID | None = None,
) -> tuple[str, Activity]:
    """:func:`scan_toggle`, answered once per ``request_id`` and user.

    The key is claimed (a unique row) in the same transaction as the scan: a parallel
    request with the same key waits for the first and then returns its answer; a
    refused scan rolls its claim back, so a retry is tried afresh. Without a key, the
    scan is a plain :func:`scan_toggle`. Raises what :func:`scan_toggle` raises, and
    :class:`ScanRequestReused` when the key came with another QR code.
    """
    if request_id is None:
        return scan_toggle(token=token, user=user, place=place, kiosk_code=kiosk_code)
    digest = hashlib.sha256(token.encode()).hexdigest()
    with transaction.atomic():
        receipt, created = ScanReceipt.objects.select_related("activity__place").get_or_create(
            user=user, request_id=request_id, defaults={"token_digest": digest}
        )
        if not created:
            if receipt.token_digest != digest or receipt.activity is None:
                raise ScanRequestReused(field="request_id")
            return receipt.action, receipt.activity
        action, activity = scan_toggle(token=token, user=user, place=place, kiosk_code=kiosk_code)
        receipt.action, receipt.activity = action, activity
        receipt.save(update_fields=["action", "activity"])
    return action, activity


@transaction.atomic
def scan_receipts_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the receipts older than :data:`CHECK_IN_REPEAT_WINDOW` plus
    :data:`SCAN_RECEIPT_MARGIN` (a retry that late is answered as a new scan); returns
    how many were deleted. Idempotent."""
    cutoff = (now or timezone.now()) - CHECK_IN_REPEAT_WINDOW - SCAN_RECEIPT_MARGIN
    deleted, _ = ScanReceipt.objects.filter(created_at__lt=cutoff).delete()
    return deleted
