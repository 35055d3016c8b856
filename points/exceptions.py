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


class InvalidVoucherCount(DomainError):
    code = "invalid_count"
    http_status = 400
    default_message = _("Choose at least one voucher.")


class ExchangeClosed(DomainError):
    code = "exchange_closed"
    default_message = _("Vouchers cannot be exchanged at this time of year.")


class ExchangeLimitReached(DomainError):
    code = "exchange_limit_reached"
    default_message = _("This exchange would go over this year's exchange limit.")


class VoucherUnknown(DomainError):
    code = "voucher_unknown"
    http_status = 404
    default_message = _("No voucher has this code. Check the code and try again.")


class VoucherMistyped(DomainError):
    code = "voucher_mistyped"
    http_status = 400
    default_message = _(
        "This code contains a typing mistake (the check character does not match). "
        "Check each character and try again."
    )


class VoucherAlreadyRedeemed(ConflictError):
    code = "voucher_already_redeemed"
    default_message = _("This voucher has already been used.")


class VoucherExpired(DomainError):
    code = "voucher_expired"
    http_status = 410
    default_message = _("This voucher has expired.")


class VoucherVoid(DomainError):
    code = "voucher_void"
    http_status = 410
    default_message = _("This voucher has been cancelled and cannot be used.")


class WrongShop(DomainError):
    code = "wrong_shop"
    http_status = 403
    default_message = _("Vouchers cannot be accepted for this shop from your account.")


class ShopRequired(DomainError):
    code = "shop_required"
    http_status = 400
    default_message = _("Choose the shop that is accepting the voucher.")


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    http_status = 429
    default_message = _("Too many codes that did not match. Wait a few minutes and try again.")


class MonthNotOver(DomainError):
    code = "month_not_over"
    default_message = _("A statement can only be made once the month is over.")
