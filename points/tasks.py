"""Thin Celery tasks for the ledger: they call a service and are safe to run twice.

Services are imported inside each task body, so that services can import tasks by
name (for ``transaction.on_commit``) without an import cycle."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from core.notify import deliver
from core.outbox import send_once


@shared_task(name="points.expire_points")
def expire_points(as_of: str | None = None) -> int:
    """Expire points whose validity has ended (beat: daily, just after midnight JST)."""
    from points.services.expiry import points_expire_due

    return points_expire_due(as_of=dt.date.fromisoformat(as_of) if as_of else None)


@shared_task(name="points.expire_vouchers")
def expire_vouchers(as_of: str | None = None) -> int:
    """Return the value of unused, expired vouchers to the scheme (beat: daily)."""
    from points.services.vouchers import vouchers_expire_due

    return vouchers_expire_due(as_of=dt.date.fromisoformat(as_of) if as_of else None)


@shared_task(name="points.generate_statements")
def generate_statements(month: str | None = None) -> int:
    """Statements for last month (beat: on the 1st), or for ``month`` (YYYY-MM-DD)."""
    from points.services.settlement import statements_generate_month

    if month:
        target = dt.date.fromisoformat(month)
    else:
        target = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return statements_generate_month(month=target)


@shared_task(name="points.send_expiry_notices")
def send_expiry_notices(today: str | None = None) -> int:
    """Record what expires within the city's notice window and queue one notice for
    each thing not yet told (beat: daily, 09:30). Returns how many it queued; each is
    sent once (:func:`send_expiry_notice`), so a second run sends nothing again."""
    from points.services.notices import expiry_notices_record

    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    due = expiry_notices_record(today=day)
    for pk in due:
        send_expiry_notice.delay(pk, day.isoformat())
    return len(due)


@shared_task(name="points.send_expiry_notice")
def send_expiry_notice(notice_id: int, today: str | None = None) -> int:
    """Tell one volunteer of one expiring thing: claim, send on every channel that
    reaches them, then mark ``sent_at`` (a crash in between sends it again; none loses
    it). Volunteers no channel reaches are left unmarked, for the call list."""
    from points.selectors.notices import expiry_notice_due
    from points.services.notices import expiry_notice_mark_sent

    # A retry days later must not tell of what has expired meanwhile.
    day = max(dt.date.fromisoformat(today), timezone.localdate()) if today else None
    day = day or timezone.localdate()
    sent = {"count": 0}

    def prepare():
        found = expiry_notice_due(notice_id, day)
        if found is None:
            return None

        def send() -> int:
            sent["count"] = deliver(*found)
            return sent["count"]

        return send

    def mark():
        if sent["count"]:
            expiry_notice_mark_sent(notice_id=notice_id, at=timezone.now())

    return send_once(key=f"points.expiry-notice:{notice_id}", prepare=prepare, mark=mark)
