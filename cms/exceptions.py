"""Domain errors of the public site, each with a stable ``code``."""

from django.utils.translation import gettext_lazy as _

from core.errors import ConflictError, DomainError


class CallClosed(DomainError):
    code = "call_closed"
    default_message = _("This call for proposals is not accepting submissions now.")


class GroupTooSmall(DomainError):
    code = "group_too_small"
    default_message = _("Eligible groups have at least 3 members.")


class AttachmentRejected(DomainError):
    code = "attachment_rejected"
    default_message = _("This file cannot be attached.")


class InvalidTransition(ConflictError):
    code = "invalid_transition"
    default_message = _("The proposal cannot move to this status from its current one.")


class ApplicationDecided(ConflictError):
    code = "application_decided"
    default_message = _("This application has already been decided.")


class AccountDeactivated(ConflictError):
    code = "account_deactivated"
    default_message = _(
        "An account with this email address exists but has been deactivated. "
        "Someone with the right to manage accounts must decide about it first."
    )


class NotAnEditor(DomainError):
    code = "not_an_editor"
    default_message = _("Only active users with the district editor role can edit an association.")


class ReceivedOutsideWindow(DomainError):
    code = "received_outside_window"
    default_message = _("The date received must be within the call's window and not in the future.")


class ProposalDecided(ConflictError):
    code = "proposal_decided"
    default_message = _("This proposal has been decided; its scoring sheets can no longer change.")


class ScoreInvalid(DomainError):
    code = "score_invalid"
    default_message = _("Score every criterion of this call from 1 to 5.")


class CallStillOpen(ConflictError):
    code = "call_still_open"
    default_message = _("The results cannot be published while the call is still open.")
