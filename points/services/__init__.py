"""Every write on the points ledger, one module per concept:

* ``accounts``: the scheme's accounts, wallets, shop accounts (created on first use);
* ``postings``: ``transaction_post``, ``points_transfer``, ``points_adjust``,
  ``transaction_reverse``;
* ``earning``: ``points_award``;
* ``expiry``: ``wallet_expire``, ``points_expire_due``;
* ``vouchers``: ``voucher_exchange``, ``voucher_redeem``, ``voucher_void``,
  ``vouchers_expire_due``;
* ``settlement``: ``statement_generate``, ``statements_generate_month``,
  ``statement_mark_paid``.

The posting engine they share (fingerprints, locks, the Python and SQL paths) is
``points.ledger``; reads are in ``points.selectors``.

The re-exports below are for callers outside the points app (volunteers, cms, bench)
while they move to the concrete modules; inside ``points/`` and ``tests/points/``
import from the module itself.
"""

from points.services.accounts import shop_accounts, system_account, wallet_for
from points.services.earning import points_award
from points.services.expiry import points_expire_due, wallet_expire
from points.services.postings import (
    points_adjust,
    points_transfer,
    transaction_post,
    transaction_reverse,
)
from points.services.settlement import (
    statement_generate,
    statement_mark_paid,
    statements_generate_month,
)
from points.services.vouchers import (
    voucher_exchange,
    voucher_redeem,
    voucher_void,
    vouchers_expire_due,
)

__all__ = [
    "points_adjust",
    "points_award",
    "points_expire_due",
    "points_transfer",
    "shop_accounts",
    "statement_generate",
    "statement_mark_paid",
    "statements_generate_month",
    "system_account",
    "transaction_post",
    "transaction_reverse",
    "voucher_exchange",
    "voucher_redeem",
    "voucher_void",
    "vouchers_expire_due",
    "wallet_expire",
    "wallet_for",
]
