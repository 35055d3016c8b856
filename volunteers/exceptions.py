"""Domain errors of the mutual-aid centre and the activity log, with stable codes."""

from django.utils.translation import gettext_lazy as _

from core import formats
from core.errors import ConflictError, DomainError


class InvalidScan(DomainError):
    """A scanned QR code that cannot be used; ``reason`` says why."""

    code = "invalid_scan"
    http_status = 400
    messages = {
        "tampered": _("This QR code is not one of ours, or it has been damaged."),
        "wrong_purpose": _("This QR code is for something else and cannot be used here."),
        "revoked": _("This QR code has been replaced by a newer print. Scan the current one."),
        "voucher": _("This is a shop voucher, not a check-in code."),
        "unknown": _("This QR code refers to something that no longer exists."),
        "inactive": _("This place is not taking check-ins at the moment."),
    }

    def __init__(self, reason: str):
        super().__init__(self.messages.get(reason, self.messages["tampered"]), reason=reason)
        self.reason = reason


class AlreadyCheckedIn(ConflictError):
    code = "already_checked_in"
    default_message = _("You are already checked in somewhere. Check out there first.")
    #: For host staff scanning a card: the other place is not theirs to know.
    elsewhere_message = _(
        "This volunteer is still checked in at another place. They need to check out "
        "there first; if they forgot, the mutual-aid centre can correct it."
    )


class NotCheckedIn(ConflictError):
    code = "not_checked_in"
    default_message = _("There is no open check-in to close.")


class NotHost(DomainError):
    code = "not_host"
    http_status = 403
    default_message = _("Your account is not host staff of a place, so it cannot scan cards.")
    confirm_message = _("Only host staff of this place can confirm its check-ins.")


class NotVolunteer(DomainError):
    """Only volunteers are checked in and earn points (self or by card); ``who`` says
    whose role is missing: the signed-in user's own (``self``) or the card's owner."""

    code = "not_volunteer"
    http_status = 403
    messages = {
        "self": _(
            "Only registered volunteers can check in and earn points. "
            "If you would like to volunteer, please contact the mutual-aid centre."
        ),
        "card": _(
            "This card does not belong to a registered volunteer, so it cannot be used "
            "to check in. Please ask the person to contact the mutual-aid centre."
        ),
    }

    def __init__(self, who: str = "self"):
        super().__init__(self.messages.get(who, self.messages["self"]), who=who)


class InvalidActivityTimes(DomainError):
    code = "invalid_times"
    http_status = 400
    default_message = _("The end must be after the start, and not in the future.")
    too_long_message = _(
        "An activity at this place can last at most %(minutes)s minutes. "
        "Correct the check-out time."
    )


class NotReviewable(ConflictError):
    code = "not_reviewable"
    default_message = _("This activity is not waiting for review.")


class NotReevaluable(ConflictError):
    code = "not_reevaluable"
    default_message = _(
        "This activity is not waiting to be re-evaluated: its points were already decided."
    )


class BirthDateStillUnknown(ConflictError):
    code = "birth_date_unknown"
    default_message = _("Enter the volunteer's date of birth first, then re-evaluate.")


class InvalidKioskCode(DomainError):
    """A self check-in at a kiosk place without the code the kiosk shows now."""

    code = "invalid_kiosk_code"
    http_status = 400
    messages = {
        "missing": _("Enter the number shown on the tablet at the entrance."),
        "wrong": _(
            "This number is not the one on the tablet now. The number changes every "
            "minute: enter the one shown now."
        ),
        "too_many": _("Too many wrong numbers. Please wait a few minutes and try again."),
    }

    def __init__(self, reason: str):
        super().__init__(self.messages[reason], field="kiosk_code", reason=reason)


class SelfCheckInClosed(DomainError):
    """A place where only host staff scanning the volunteer's card proves presence."""

    code = "self_check_in_closed"
    http_status = 403
    default_message = _(
        "At this place, host staff check you in by scanning your volunteer card. "
        "Please show your card (or the card on your phone) to the staff."
    )


class ScanRequestReused(ConflictError):
    code = "request_id_reused"
    default_message = _("This request id was already used for another QR code.")


# --- Mutual-aid requests, offers and assignments ------------------------------------


class InvalidTransition(ConflictError):
    """A lifecycle step from a state that does not allow it."""

    code = "invalid_transition"
    default_message = _("This request is not in a state that allows this step.")


class OfferTaken(ConflictError):
    code = "offer_taken"
    default_message = _("Someone else has already taken this request.")


class OfferClosed(ConflictError):
    code = "offer_closed"
    default_message = _("This offer is no longer open.")


class VolunteerBusy(ConflictError):
    code = "volunteer_busy"
    default_message = _("The volunteer already has help booked at that time.")


class VolunteerUnavailable(DomainError):
    code = "volunteer_unavailable"
    http_status = 422
    default_message = _("This person is not an active volunteer with valid insurance.")


class InvalidWindow(DomainError):
    code = "invalid_window"
    http_status = 400
    default_message = _("The end must be after the start.")


class OutsideServiceHours(DomainError):
    code = "outside_service_hours"
    http_status = 400
    default_message = _("The time is outside this kind of help's service hours.")


class CentreClosed(DomainError):
    """The day of the window is one of the centre's closed days (a public holiday,
    the year-end closure, a one-off closure): ``reason`` names it."""

    code = "centre_closed"
    http_status = 400
    message_template = _("The centre is closed on %(date)s (%(reason)s). Choose another day.")

    def __init__(self, *, date, reason: str, field: str = "starts_at"):
        message = self.message_template % {"date": formats.date(date), "reason": reason}
        super().__init__(message, field=field, date=date, reason=reason)


class NothingToOffer(DomainError):
    code = "no_volunteers"
    http_status = 400
    default_message = _("Choose at least one volunteer.")


class InvalidAmount(DomainError):
    code = "invalid_amount"
    http_status = 400
    default_message = _("Minutes and yen cannot be negative.")


class VolunteerRoleRequired(NotVolunteer):
    """The volunteer's profile, availability and days away are for holders of the
    volunteer role; a coordinator or city staff grants it, saving a profile never
    does. Same code as :class:`NotVolunteer` (``not_volunteer``, 403)."""

    message = _(
        "Only registered volunteers have a volunteer profile. If you would like to "
        "volunteer, please contact the mutual-aid centre: a coordinator will register you."
    )

    def __init__(self):
        DomainError.__init__(self, self.message, who="profile")


class OutsideAssignmentWindow(DomainError):
    """A volunteer starts an assignment well before or after its scheduled window
    (``reason``: ``too_early`` or ``too_late``); a coordinator may still record it."""

    code = "outside_assignment_window"
    http_status = 409
    messages = {
        "too_early": _(
            "This help is planned for %(when)s. You can start it from %(minutes)s minutes "
            "before the planned time."
        ),
        "too_late": _(
            "The planned time of this help (%(when)s) has passed, so it cannot be started "
            "here. Please phone the mutual-aid centre: a coordinator will record it."
        ),
    }

    def __init__(self, reason: str, *, when: str, minutes: int):
        message = self.messages[reason] % {"when": when, "minutes": minutes}
        super().__init__(message, reason=reason, when=when)


class CashDifferenceUnexplained(DomainError):
    """The cash received is not the fee and no reason was given."""

    code = "cash_reason_required"
    http_status = 400
    default_message = _("The cash received is not the fee: say why (e.g. to be paid later).")


class ConsentMissing(DomainError):
    """The resident has not consented (or has withdrawn consent) to sharing their
    details with a volunteer: no offer or assignment for their requests."""

    code = "consent_missing"
    http_status = 409
    default_message = _(
        "The resident has not agreed to their details being shared with a volunteer. "
        "Record their consent on the resident's page first."
    )


class PledgeMissing(DomainError):
    """The volunteer has not accepted the confidentiality pledge in force."""

    code = "pledge_missing"
    http_status = 409
    default_message = _(
        "This volunteer has not accepted the current confidentiality pledge. They accept "
        "it on their page, or a coordinator records their signed paper pledge."
    )


class PersonalDataStillNeeded(ConflictError):
    """The person's details cannot be erased yet: ``reasons`` says what still needs
    them (an open request, money owed, an unconfirmed assignment)."""

    code = "personal_data_still_needed"

    def __init__(self, reasons: list[str]):
        super().__init__(" ".join(reasons), reasons=" ".join(reasons))
        self.reasons = reasons


class AlreadyAnonymised(ConflictError):
    code = "already_anonymised"
    default_message = _("This person's details have already been erased.")


class AlreadyLeft(ConflictError):
    code = "already_left"
    default_message = _("Their leaving is already recorded.")


class NotLeft(ConflictError):
    code = "not_left"
    default_message = _("No leaving is recorded for them.")


class ResidentLeft(ConflictError):
    """No new request for a resident who left the service (or whose details were
    erased)."""

    code = "resident_left"
    default_message = _(
        "This resident has left the service. If they are coming back, record that on "
        "their page first."
    )


class NotEnrolled(ConflictError):
    code = "not_enrolled"
    default_message = _("This enrolment is not in force (already cancelled).")


class NoVolunteerProfile(DomainError):
    code = "no_volunteer_profile"
    http_status = 400
    default_message = _(
        "This person is not registered as a volunteer. Register them as a volunteer first."
    )


class TrainingStillMissing(ConflictError):
    code = "training_still_missing"
    default_message = _(
        "The volunteer has not attended a training session yet: record their attendance first."
    )


class TrainingNotStarted(ConflictError):
    """Attendance was recorded for a training session that has not started yet:
    nobody can have attended it, and a tick would unlock points early."""

    code = "training_not_started"
    default_message = _(
        "Attendance cannot be recorded for a training session that has not started yet."
    )
