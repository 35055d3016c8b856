"""Writes of the volunteers app, one module per sub-domain:

* ``places``: posters and cards (reprint, reissue, a card issued on first use);
* ``activity``: check-in and check-out, scans, review, forgotten check-outs;
* ``help_requests``: intake, offers, assignments and their lifecycle, reminders,
  opening a resident's details;
* ``standing``: standing requests generated ahead, skipped dates;
* ``profiles``: volunteer profiles, availability and the matching index.

Import each name from its module; this package re-exports nothing, so a
call site always names the module that holds the code.
"""
