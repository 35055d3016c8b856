"""The ledger's two pure helpers, with fixed values (no database):

* the lot replay behind expiry (points/ledger/lots.py): a posting of a single point,
  a spend of a single point, a refund that gives a lot back its points and its date,
  a reversed earning taking back its own lot first;
* the fingerprints that tell a replay from a conflicting reuse
  (points/ledger/fingerprints.py): fixed digests of the canonical JSON, written out
  byte by byte, so a stored fingerprint still matches after a release."""

from __future__ import annotations

import datetime as dt
import hashlib

from points.ledger.fingerprints import fingerprint, posting_fingerprint, request_fingerprint
from points.ledger.lots import expired_in_lots, lots_left
from points.models import TransactionKind

EARLY, LATE = dt.date(2026, 3, 31), dt.date(2027, 3, 31)
AFTER_EARLY = EARLY + dt.timedelta(days=1)

# --- Lots ---------------------------------------------------------------------------


def test_a_lot_expires_the_day_after_its_last_day():
    earned = [(1, 100, EARLY, None)]
    assert expired_in_lots(earned, EARLY) == 0
    assert expired_in_lots(earned, AFTER_EARLY) == 100


def test_a_single_point_earned_is_a_lot_of_its_own():
    assert expired_in_lots([(1, 1, EARLY, None)], AFTER_EARLY) == 1
    assert expired_in_lots([(1, 1, EARLY, None), (2, 1, LATE, None)], AFTER_EARLY) == 1


def test_spending_a_single_point_uses_the_soonest_expiring_lot():
    postings = [(1, 100, LATE, None), (2, 100, EARLY, None), (3, -1, None, None)]
    assert expired_in_lots(postings, AFTER_EARLY) == 99
    assert expired_in_lots(postings, LATE + dt.timedelta(days=1)) == 199


def test_points_that_never_expire_are_spent_last():
    postings = [(1, 50, None, None), (2, 100, EARLY, None), (3, -120, None, None)]
    assert expired_in_lots(postings, AFTER_EARLY) == 0  # 100 dated first, then 20 of 50
    postings = [(1, 50, None, None), (2, 100, EARLY, None), (3, -30, None, None)]
    assert expired_in_lots(postings, AFTER_EARLY) == 70


def test_a_refunded_spend_gives_back_the_very_points_with_their_date():
    """A spend of 30 from a lot of 100 (70 left) is refunded: the lot holds 100 again,
    all of it expiring on the lot's own date, and nothing new is added."""
    postings = [(1, 100, EARLY, None), (2, -30, None, None), (3, 30, None, 2)]
    assert expired_in_lots(postings, AFTER_EARLY) == 100
    # The refund spread back over the two lots the spend used.
    postings = [
        (1, 20, EARLY, None),
        (2, 100, LATE, None),
        (3, -50, None, None),  # 20 from lot 1, 30 from lot 2
        (4, -60, None, None),  # 60 from lot 2 (10 left)
        (5, 50, None, 3),
    ]
    assert expired_in_lots(postings, AFTER_EARLY) == 20
    assert expired_in_lots(postings, LATE + dt.timedelta(days=1)) == 60


def test_lots_left_sums_what_is_left_by_date_without_empty_or_undated_lots():
    """What the expiry notices tell: per expiry date, the points still unspent."""
    postings = [
        (1, 100, LATE, None),
        (2, 40, EARLY, None),
        (3, 60, EARLY, None),
        (4, 50, None, None),  # never expires: not in the notice
        (5, -70, None, None),  # 70 of the 100 that expire EARLY (soonest first)
    ]
    assert lots_left(postings) == {EARLY: 30, LATE: 100}
    # Two lots of one date are summed.
    assert lots_left([(1, 40, EARLY, None), (2, 60, EARLY, None)]) == {EARLY: 100}
    # A lot spent to nothing is left out, not listed at 0.
    assert lots_left([(1, 10, EARLY, None), (2, 5, LATE, None), (3, -10, None, None)]) == {LATE: 5}
    assert lots_left([(1, 10, None, None)]) == {}
    assert lots_left([]) == {}


def test_a_reversed_earning_takes_back_its_own_lot_first():
    postings = [(1, 100, EARLY, None), (2, 100, LATE, None), (3, -100, None, 2)]
    assert expired_in_lots(postings, LATE + dt.timedelta(days=1)) == 100


# --- Fingerprints -------------------------------------------------------------------


def test_a_fingerprint_is_the_sha256_of_the_sorted_json():
    content = {"when": dt.datetime(2026, 4, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=9)))}
    content["date"] = dt.date(2026, 4, 1)  # dates are written as their str()
    text = b'{"date": "2026-04-01", "when": "2026-04-01 09:30:00+09:00"}'
    assert fingerprint(content) == hashlib.sha256(text).hexdigest()
    assert fingerprint(content) == (
        "31848db292d13e5a310eef7a8c591e1efe6ee06d2b76001d11cd2c9d3df1ada6"
    )


def test_the_stored_fingerprint_adds_who_asked_and_the_memo():
    assert request_fingerprint("abc", actor_id=7, memo="紛失") == (
        "52819dee64986f55513dccabc3ae4310b4a208d2a90975a5c5306c07e1fb26e8"
    )  # sha256 of {"actor": 7, "content": "abc", "memo": "\u7d1b\u5931"}
    assert request_fingerprint("abc", actor_id=None, memo="") == (
        "69b3645c098f0fdd3a37d0eb37e7296cc4a82801e7af46df62943d7c153988e9"
    )
    digest = fingerprint({"kind": TransactionKind.TRANSFER, "amount": 5})
    assert posting_fingerprint(TransactionKind.TRANSFER, {"amount": 5}, None, "") == (
        request_fingerprint(digest, actor_id=None, memo="")
    )
