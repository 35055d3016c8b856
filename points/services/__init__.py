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

Import each name from its module; this package re-exports nothing, so a
call site always names the module that holds the code.
"""
