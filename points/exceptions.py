"""Domain errors of the points ledger, each with a stable ``code``."""

from django.utils.translation import gettext_lazy as _

from core.errors import ConflictError, DomainError


class InsufficientPoints(DomainError):
    code = "insufficient_points"
    default_message = _("Not enough points.")


class RuleNotApplicable(DomainError):
    code = "rule_not_applicable"
    default_message = _("This activity does not earn points under the rule.")


class CapReached(DomainError):
    code = "cap_reached"
    default_message = _("The daily or yearly points limit has been reached.")


class IdempotencyConflict(ConflictError):
    code = "idempotency_conflict"
    default_message = _("This request was already recorded with different content.")


class AlreadyReversed(ConflictError):
    code = "already_reversed"
    default_message = _("This transaction has already been reversed.")


class NotReversible(DomainError):
    code = "not_reversible"
    default_message = _("A reversal cannot itself be reversed.")


class UnbalancedTransaction(DomainError):
    code = "unbalanced"
    default_message = _("The entries of a transaction must add up to zero.")


class ReasonRequired(DomainError):
    code = "reason_required"
    http_status = 400
    default_message = _("Enter the reason for this adjustment.")
