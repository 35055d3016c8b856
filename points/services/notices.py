"""Expiry notices: recording what is about to expire, marking it told, and the
volunteer's choice to be told or not."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from points.models import ExpiryNotice, NoticePreference
from points.selectors.notices import expiring_within, expiry_notice_window


@transaction.atomic
def expiry_notices_record(*, today: dt.date) -> list[int]:
    """Record one :class:`ExpiryNotice` for each thing expiring within the city's
    window from ``today`` that has none yet (its ``key`` is unique, so two runs, even
    at once, record each thing once), and return the ids of every notice still to
    tell on ``today``, oldest first. Nothing when notices are off (0 weeks)."""
    window = expiry_notice_window(today)
    if window is None:
        return []
    found = expiring_within(*window)
    ExpiryNotice.objects.bulk_create(
        [
            ExpiryNotice(
                key=item.key,
                kind=item.kind,
                user_id=item.user_id,
                voucher_id=item.voucher_id,
                points=item.points,
                expires_on=item.expires_on,
            )
            for item in found
        ],
        ignore_conflicts=True,
    )
    return list(
        ExpiryNotice.objects.filter(
            key__in=[item.key for item in found],
            sent_at__isnull=True,
            called_at__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def expiry_notice_mark_sent(*, notice_id: int, at: dt.datetime) -> bool:
    """Record that notice ``notice_id`` went out at ``at``. A conditional UPDATE: a
    notice already told (sent, or phoned) keeps its first record. Returns whether this
    call recorded it."""
    return bool(
        ExpiryNotice.objects.filter(
            pk=notice_id, sent_at__isnull=True, called_at__isnull=True
        ).update(sent_at=at)
    )


def expiry_notices_mark_called(
    *, notice_ids: list[int], by: User, at: dt.datetime | None = None
) -> int:
    """Record that coordinator ``by`` phoned the volunteers of ``notice_ids`` at ``at``
    (default now): those notices leave the call list and are never sent. Notices
    already told keep their first record. Returns how many this call recorded."""
    return ExpiryNotice.objects.filter(
        pk__in=notice_ids, sent_at__isnull=True, called_at__isnull=True
    ).update(called_at=at or timezone.now(), called_by=by)


def notice_preference_set(*, user: User, expiry_notices: bool) -> NoticePreference:
    """Record whether ``user`` wants to be told before their points or vouchers
    expire (by any channel or by phone). Idempotent."""
    preference, _created = NoticePreference.objects.update_or_create(
        user=user, defaults={"expiry_notices": expiry_notices}
    )
    return preference
