"""Reads of the volunteers app (and pure calculations), one module per sub-domain:

* ``places``: poster and card tokens, what a scanned token points at, hosted places;
* ``activity``: a volunteer's activities, the open one, the review queue, when a
  check-out counts as forgotten;
* ``help_requests``: the board, offers and assignments of a volunteer, reminders
  due, resident search, the month's counts;
* ``profiles``: matching (hard filters, ranking, reasons) and availability exceptions;
* ``consent``: the wordings in force, residents' consent, volunteers' pledges;
* ``calendar``: the centre's closed days (public holidays, yearly and one-off closures).

Import each name from its module; this package re-exports nothing, so a
call site always names the module that holds the code.
"""
