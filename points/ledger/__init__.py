"""The double-entry posting engine behind every write in ``points.services``.

Guarantees, for every posting made through :func:`points.ledger.posting.post`:

* **Balanced and atomic**: entries sum to zero and are written together with the
  cached balances in one database transaction (PostgreSQL also enforces this at commit,
  with the triggers in ``sql/``).
* **Exactly once**: each call carries an ``idempotency_key``. The same key with the same
  content returns the original :class:`~points.models.Transaction`; the same key with
  different content raises :class:`~points.exceptions.IdempotencyConflict`. The content
  includes the actor and the memo (:mod:`points.ledger.fingerprints`).
* **Serialised per account**: the touched accounts are locked in primary-key order
  (:func:`points.ledger.locks.lock_accounts`) before balances are read, so concurrent
  postings neither overdraw a wallet nor deadlock.
* **Never negative**: only the scheme's issuance account may go below zero; anything
  else raises :class:`~points.exceptions.InsufficientPoints`.

Modules: ``fingerprints`` (what makes a retry a replay), ``locks`` (the one lock helper
and the app's lock order), ``posting`` (the Python path), ``database`` (the PostgreSQL
path: ``points_post()`` and ``points_award_post()``, whose current text is in
``sql/*.sql``), ``lots`` (the lot replay behind expiry).
"""
