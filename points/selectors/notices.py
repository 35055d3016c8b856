"""Reads behind expiry notices: what expires within the notice window, what a notice
says, and who must be phoned because no channel reaches them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User, language_for
from core import formats, site
from core.notify import Message, reachable
from points.ledger.lots import lots_left
from points.models import (
    Account,
    AccountKind,
    Entry,
    ExchangeSettings,
    ExpiryNotice,
    NoticePreference,
    Transaction,
    TransactionKind,
    Voucher,
)


@dataclass(frozen=True)
class Expiring:
    """One thing that expires within the window: a wallet's points expiring on one day
    (``voucher_id`` None) or one voucher."""

    kind: str
    user_id: int
    expires_on: dt.date
    points: int
    voucher_id: int | None = None

    @property
    def key(self) -> str:
        if self.voucher_id is not None:
            return f"voucher:{self.voucher_id}"
        return f"points:{self.user_id}:{self.expires_on.isoformat()}"


def expiry_notice_window(today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days (first, last) whose expiries are told on ``today``: from today to the
    city's number of weeks ahead (``ExchangeSettings.expiry_notice_weeks``); None when
    the city set it to 0 (no notices)."""
    weeks = ExchangeSettings.load().expiry_notice_weeks
    if not weeks:
        return None
    return today, today + dt.timedelta(weeks=weeks)


def _opted_out() -> QuerySet[NoticePreference]:
    return NoticePreference.objects.filter(user=OuterRef("pk"), expiry_notices=False)


def expiry_notices_wanted(user: User) -> bool:
    """Does ``user`` want expiry notices? (Yes unless they switched them off.)"""
    return not NoticePreference.objects.filter(user=user, expiry_notices=False).exists()


def wallet_points_expiring(wallet: Account) -> dict[dt.date, int]:
    """Points left in ``wallet`` by the day they expire (those that never expire left
    out), never more than the balance in all. A read without a lock: a posting landing
    meanwhile is seen at the next look."""
    rows = (
        Entry.objects.filter(account=wallet)
        .order_by("transaction_id", "id")
        .values_list(
            "transaction_id", "amount", "transaction__expires_on", "transaction__reverses_id"
        )
    )
    left = lots_left(rows)
    budget = wallet.balance
    capped: dict[dt.date, int] = {}
    for day in sorted(left):  # the soonest first: they go first
        take = min(left[day], budget)
        if take > 0:
            capped[day] = take
            budget -= take
    return capped


def expiring_within(first: dt.date, last: dt.date) -> list[Expiring]:
    """Everything of active volunteers who want notices that expires from ``first`` to
    ``last`` (both included): unused vouchers, and each wallet's points by expiry day.
    Points already past their date but not yet moved by the expiry job are not told."""
    people = User.objects.filter(is_active=True).exclude(Exists(_opted_out()))
    found: list[Expiring] = [
        Expiring(
            kind=ExpiryNotice.Kind.VOUCHER,
            user_id=owner_id,
            expires_on=expires_on,
            points=points,
            voucher_id=pk,
        )
        for pk, owner_id, expires_on, points in Voucher.objects.filter(
            status=Voucher.Status.ISSUED,
            expires_on__range=(first, last),
            owner__in=people,
        )
        .order_by("pk")
        .values_list("pk", "owner_id", "expires_on", "points")
    ]
    lots = Transaction.objects.filter(
        kind=TransactionKind.EARN,
        expires_on__range=(first, last),
        entries__account=OuterRef("pk"),
    )
    wallets = Account.objects.filter(
        kind=AccountKind.WALLET, balance__gt=0, owner__in=people
    ).filter(Exists(lots))
    for wallet in wallets.order_by("pk").iterator():
        for day, points in wallet_points_expiring(wallet).items():
            if first <= day <= last:
                found.append(
                    Expiring(
                        kind=ExpiryNotice.Kind.POINTS,
                        user_id=wallet.owner_id,
                        expires_on=day,
                        points=points,
                    )
                )
    return found


def expiry_notice_points_now(notice: ExpiryNotice, today: dt.date) -> int:
    """What is still to tell of ``notice`` on ``today``: the voucher's points while it
    is unused and valid, the wallet's points still left of that day's lots; 0 when
    nothing is (used, exchanged, expired, or the day has passed)."""
    if notice.expires_on < today:
        return 0
    if notice.kind == ExpiryNotice.Kind.VOUCHER:
        voucher = notice.voucher
        return voucher.points if voucher.status == Voucher.Status.ISSUED else 0
    wallet = Account.objects.filter(owner_id=notice.user_id, kind=AccountKind.WALLET).first()
    if wallet is None:
        return 0
    return wallet_points_expiring(wallet).get(notice.expires_on, 0)


def _links() -> dict[str, str]:
    return {
        "points_link": site.absolute_url(reverse("my-points")),
        "vouchers_link": site.absolute_url(reverse("my-vouchers")),
        "shops_link": site.absolute_url(reverse("shop-list")),
    }


def expiry_notice_text(notice: ExpiryNotice, points: int) -> Message:
    """The notice in the active language: how many points, or the voucher's face value
    and last day (never its code), with links to the volunteer's page and the shop list."""
    day = formats.date(notice.expires_on)
    if notice.kind == ExpiryNotice.Kind.VOUCHER:
        value = formats.yen(notice.voucher.face_value_yen)
        subject = _("Your voucher (%(value)s) is valid until %(day)s") % {
            "value": value,
            "day": day,
        }
        body = _(
            "Your voucher worth %(value)s is valid until %(day)s. Please use it at a "
            "participating shop before then.\n\n"
            "Your vouchers: %(vouchers_link)s\n"
            "Participating shops: %(shops_link)s\n\n"
            "You can turn these notices off on your points page: %(points_link)s"
        ) % {"value": value, "day": day, **_links()}
    else:
        amount = formats.points(points)
        subject = _("%(points)s of your points expire on %(day)s") % {
            "points": amount,
            "day": day,
        }
        body = _(
            "%(points)s of your points expire on %(day)s. Exchange them for vouchers "
            "before then and use them at a participating shop.\n\n"
            "Your points: %(points_link)s\n"
            "Participating shops: %(shops_link)s\n\n"
            "You can turn these notices off on your points page: %(points_link)s"
        ) % {"points": amount, "day": day, **_links()}
    return Message(subject=subject, body=body)


def expiry_notice_due(notice_id: int, today: dt.date) -> tuple[User, Message] | None:
    """The owner and the message of notice ``notice_id`` if it is still to be sent on
    ``today``: not yet told, still wanted, something left to tell, and some channel
    reaches the owner (else the coordinators phone them). None otherwise."""
    notice = ExpiryNotice.objects.select_related("user", "voucher").filter(pk=notice_id).first()
    if notice is None or notice.told or not notice.user.is_active:
        return None
    if not expiry_notices_wanted(notice.user) or not reachable(notice.user):
        return None
    points = expiry_notice_points_now(notice, today)
    if points == 0:
        return None
    with translation.override(language_for(notice.user)):
        return notice.user, expiry_notice_text(notice, points)


def expiry_notices_untold(today: dt.date) -> QuerySet[ExpiryNotice]:
    """Notices not yet told whose thing has not expired by ``today``, of active
    volunteers who want them, soonest first."""
    return (
        ExpiryNotice.objects.filter(
            sent_at__isnull=True,
            called_at__isnull=True,
            expires_on__gte=today,
            user__is_active=True,
        )
        .exclude(
            Exists(NoticePreference.objects.filter(user=OuterRef("user"), expiry_notices=False))
        )
        .select_related("user", "voucher")
        .order_by("expires_on", "pk")
    )


def expiry_notices_to_call(today: dt.date) -> list[tuple[ExpiryNotice, int]]:
    """The untold notices (with what is left to tell) of volunteers no channel can
    reach: the coordinators phone them."""
    due = []
    for notice in expiry_notices_untold(today):
        if reachable(notice.user):
            continue
        points = expiry_notice_points_now(notice, today)
        if points:
            due.append((notice, points))
    return due


def expiry_notice_script(notice: ExpiryNotice, points: int) -> str:
    """What a coordinator tells the volunteer on the phone (active language)."""
    day = formats.date(notice.expires_on)
    if notice.kind == ExpiryNotice.Kind.VOUCHER:
        return _("A voucher worth %(value)s, unused, is valid until %(day)s.") % {
            "value": formats.yen(notice.voucher.face_value_yen),
            "day": day,
        }
    return _("%(points)s expire on %(day)s; they can be exchanged for vouchers.") % {
        "points": formats.points(points),
        "day": day,
    }
