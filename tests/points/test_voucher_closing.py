"""How a voucher ends without a shop: voided by city staff or expired by the daily run
(points/services/vouchers.py), and points' expiry counted per wallet
(points/services/expiry.py). The edges: a voucher expiring exactly today is still
valid, a voucher used while the run waits is skipped and the run goes on, a wallet
with one point left still expires, a second run counts nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from points.exceptions import ReasonRequired
from points.ledger.fingerprints import posting_fingerprint
from points.models import AccountKind, Transaction, TransactionKind, Voucher
from points.services import vouchers as voucher_services
from points.services.accounts import system_account, wallet_for
from points.services.expiry import points_expire_due, wallet_expire
from points.services.postings import points_transfer
from points.services.vouchers import voucher_exchange, voucher_void, vouchers_expire_due
from tests.factories import UserFactory
from tests.points.support import balance_of, fund, new_key
from tests.points.test_posting import EARLY_DAY, EARLY_END, LATE_DAY, earn, expiring_rule  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(volunteer):
    fund(wallet_for(volunteer), 2000)
    return voucher_exchange(user=volunteer, count=3, idempotency_key=new_key("ex"))[1]


def test_a_void_records_who_why_and_returns_the_points(issued, city_staff):
    voucher = issued[0]
    liability = system_account(AccountKind.VOUCHER_LIABILITY)
    issuance = system_account(AccountKind.ISSUANCE)
    before = balance_of(liability), balance_of(issuance)
    voucher_void(voucher=voucher, reason="  紛失  ", actor=city_staff)
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.VOID
    assert voucher.void_reason == "紛失"
    txn = voucher.settled_by
    assert txn is not None and txn.kind == TransactionKind.VOUCHER_RETURN
    assert (txn.idempotency_key, txn.reference) == (
        f"voucher:{voucher.pk}:close",
        f"voucher:{voucher.pk}",
    )
    assert (txn.actor_id, txn.memo) == (city_staff.pk, "紛失")
    assert balance_of(liability) == before[0] - voucher.points
    assert balance_of(issuance) == before[1] + voucher.points


@pytest.mark.parametrize("reason", ["", "  ", None])
def test_a_void_needs_a_reason(issued, city_staff, reason):
    with pytest.raises(ReasonRequired):
        voucher_void(voucher=issued[0], reason=reason, actor=city_staff)
    issued[0].refresh_from_db()
    assert issued[0].status == Voucher.Status.ISSUED


def test_vouchers_expire_the_day_after_their_last_day(issued):
    last_day = issued[0].expires_on
    assert all(v.expires_on == last_day for v in issued)
    assert vouchers_expire_due(as_of=last_day) == 0  # still valid on its last day
    liability = system_account(AccountKind.VOUCHER_LIABILITY)
    before = balance_of(liability)
    assert vouchers_expire_due(as_of=last_day + dt.timedelta(days=1)) == 3
    for voucher in issued:
        voucher.refresh_from_db()
        assert voucher.status == Voucher.Status.EXPIRED
        assert voucher.void_reason == ""
        txn = voucher.settled_by
        assert txn.kind == TransactionKind.VOUCHER_RETURN
        assert (txn.actor_id, txn.memo, txn.reference) == (None, "", f"voucher:{voucher.pk}")
    assert balance_of(liability) == before - sum(v.points for v in issued)
    assert vouchers_expire_due(as_of=last_day + dt.timedelta(days=2)) == 0


def test_closed_vouchers_do_not_expire(issued, city_staff):
    voucher_void(voucher=issued[0], reason="誤発行", actor=city_staff)
    assert vouchers_expire_due(as_of=issued[0].expires_on + dt.timedelta(days=1)) == 2
    issued[0].refresh_from_db()
    assert issued[0].status == Voucher.Status.VOID
    assert issued[0].void_reason == "誤発行"


def test_a_voucher_closed_while_the_run_waits_is_skipped_and_the_run_goes_on(
    issued, monkeypatch, city_staff
):
    """The run lists the due vouchers, then locks each in turn: one voided in between
    is left alone, and the ones after it still expire."""
    real_lock = voucher_services.lock_row
    seen = []

    def lock_row(model, pk):
        row = real_lock(model, pk)
        if model is Voucher and not seen:  # the first the run takes up
            seen.append(pk)  # voucher_void locks it again, through this function
            voucher_void(voucher=row, reason="紛失", actor=city_staff)
            row.refresh_from_db()
        return row

    monkeypatch.setattr(voucher_services, "lock_row", lock_row)
    assert vouchers_expire_due(as_of=issued[0].expires_on + dt.timedelta(days=1)) == 2
    statuses = dict(
        Voucher.objects.filter(pk__in=[v.pk for v in issued]).values_list("pk", "status")
    )
    assert statuses.pop(seen[0]) == Voucher.Status.VOID
    assert set(statuses.values()) == {Voucher.Status.EXPIRED}


def test_points_expiry_counts_each_wallet_once(volunteer, wallet, expiring_rule):  # noqa: F811
    earn(volunteer, expiring_rule, EARLY_DAY, hours=2)
    earn(volunteer, expiring_rule, LATE_DAY)  # still valid: the wallet keeps 100
    day = EARLY_END + dt.timedelta(days=1)
    assert points_expire_due(as_of=day) == 1
    assert balance_of(wallet) == 100
    # Run again the same day: the wallet is still a candidate (points left, an expired
    # lot), its expiry is replayed, and it is not counted twice.
    assert points_expire_due(as_of=day) == 0
    expiry = Transaction.objects.get(kind=TransactionKind.EXPIRE)
    assert (expiry.reference, expiry.memo) == (f"expire:{day.isoformat()}", "")


def test_a_wallet_with_a_single_point_left_expires(volunteer, wallet, payee, expiring_rule):  # noqa: F811
    earn(volunteer, expiring_rule, EARLY_DAY)
    points_transfer(source=wallet, destination=payee, amount=99, idempotency_key=new_key())
    assert balance_of(wallet) == 1
    assert points_expire_due(as_of=EARLY_END + dt.timedelta(days=1)) == 1
    assert balance_of(wallet) == 0


def test_the_daily_run_takes_up_only_wallets_holding_points_of_an_expired_lot(
    volunteer,
    wallet,
    payee,
    expiring_rule,  # noqa: F811
    monkeypatch,
):
    """The run locks a wallet only if it still holds points and an earning of its own
    expired before the day: on a city's scale it must not lock every wallet daily."""
    from points.services import expiry

    spent, late, unearned = (UserFactory(full_name=n) for n in ("使い 切", "遅い 人", "調整 人"))
    earn(volunteer, expiring_rule, EARLY_DAY)  # expired: taken up
    earn(spent, expiring_rule, EARLY_DAY)  # expired but spent to 0 before
    points_transfer(
        source=wallet_for(spent), destination=payee, amount=100, idempotency_key=new_key()
    )
    earn(late, expiring_rule, LATE_DAY)  # earned, still valid
    fund(wallet_for(unearned), 100)  # never earned, never expires
    taken = []
    real = expiry.wallet_expire

    def spy(*, wallet, as_of):
        taken.append(wallet.pk)
        return real(wallet=wallet, as_of=as_of)

    monkeypatch.setattr(expiry, "wallet_expire", spy)
    assert points_expire_due(as_of=EARLY_END + dt.timedelta(days=1)) == 1
    assert taken == [wallet.pk]
    assert points_expire_due(as_of=EARLY_END) == 0  # the last valid day: none
    assert taken == [wallet.pk]


def test_an_expiry_fingerprints_the_wallet_and_the_day(volunteer, wallet, expiring_rule):  # noqa: F811
    """The stored fingerprint is that of the documented request (which wallet, which
    day), so a run retried across a release replays instead of conflicting."""
    earn(volunteer, expiring_rule, EARLY_DAY)
    day = EARLY_END + dt.timedelta(days=1)
    txn = wallet_expire(wallet=wallet, as_of=day)
    content = {"wallet": wallet.pk, "as_of": day.isoformat()}
    assert txn.fingerprint == posting_fingerprint(TransactionKind.EXPIRE, content, None, "")
    assert txn.idempotency_key == f"expire:{wallet.pk}:{day.isoformat()}"
