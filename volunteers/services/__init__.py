"""Writes of the volunteers app, one module per sub-domain:

* ``places``: posters and cards (reprint, reissue, a card issued on first use);
* ``activity``: check-in and check-out, scans, review, forgotten check-outs;
* ``help_requests``: intake, offers, assignments and their lifecycle, reminders,
  opening a resident's details;
* ``standing``: standing requests generated ahead, skipped dates;
* ``profiles``: volunteer profiles, availability and the matching index.

Import from those modules. The names below are re-exported only while the back
office (``volunteers/admin``, being split out now) still imports them from here;
they go once it imports from the modules above.
"""

from volunteers.services.activity import (
    activities_close_forgotten,
    activity_approve,
    activity_check_in,
    activity_check_out,
    activity_record,
    activity_reject,
    scan_toggle,
)
from volunteers.services.help_requests import (
    TRANSITIONS,
    assignment_confirm,
    assignment_finish,
    assignment_no_show,
    assignment_reminder_claim,
    assignment_start,
    offer_accept,
    offer_decline,
    request_assign,
    request_cancel,
    request_offer,
    request_receive,
    resident_details_open,
)
from volunteers.services.places import card_for, card_reissue, place_reprint
from volunteers.services.profiles import (
    availability_exception_add,
    availability_exception_remove,
    matching_slots_rebuild,
    volunteer_profile_save,
)
from volunteers.services.standing import standing_requests_generate, standing_skip_add

__all__ = [
    "TRANSITIONS",
    "activities_close_forgotten",
    "activity_approve",
    "activity_check_in",
    "activity_check_out",
    "activity_record",
    "activity_reject",
    "assignment_confirm",
    "assignment_finish",
    "assignment_no_show",
    "assignment_reminder_claim",
    "assignment_start",
    "availability_exception_add",
    "availability_exception_remove",
    "card_for",
    "card_reissue",
    "matching_slots_rebuild",
    "offer_accept",
    "offer_decline",
    "place_reprint",
    "request_assign",
    "request_cancel",
    "request_offer",
    "request_receive",
    "resident_details_open",
    "scan_toggle",
    "standing_requests_generate",
    "standing_skip_add",
    "volunteer_profile_save",
]
