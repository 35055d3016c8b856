"""Reads of the volunteers app (and pure calculations), one module per sub-domain:

* ``places``: poster and card tokens, what a scanned token points at, hosted places;
* ``activity``: a volunteer's activities, the open one, the review queue, when a
  check-out counts as forgotten;
* ``help_requests``: the board, offers and assignments of a volunteer, reminders
  due, resident search, the month's counts;
* ``profiles``: matching (hard filters, ranking, reasons) and availability exceptions.

Import from those modules. The names below are re-exported only while the back
office (``volunteers/admin``, being split out now) still imports them from here;
they go once it imports from the modules above.
"""

from volunteers.selectors.activity import review_queue
from volunteers.selectors.help_requests import monthly_counts, requests_board, residents_search
from volunteers.selectors.profiles import eligible_volunteers, suggest, upcoming_exceptions

__all__ = [
    "eligible_volunteers",
    "monthly_counts",
    "requests_board",
    "residents_search",
    "review_queue",
    "suggest",
    "upcoming_exceptions",
]
