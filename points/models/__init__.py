"""The points app's models, one module per concept; every model is imported here so
``points.models.X`` and the app registry find them.

* ``ledger``: ``Account``, ``Transaction``, ``Entry`` and their choices;
* ``rules``: ``EarningRule`` and ``fiscal_year_bounds``;
* ``shops``: ``Shop``, ``ShopMembership``, ``Voucher``, ``SettlementStatement``;
* ``settings``: ``ExchangeSettings``;
* ``notices``: ``ExpiryNotice``, ``NoticePreference``.
"""

from points.models.ledger import (
    Account,
    AccountKind,
    CapReason,
    Entry,
    Transaction,
    TransactionKind,
)
from points.models.notices import ExpiryNotice, NoticePreference
from points.models.rules import EarningRule, fiscal_year_bounds
from points.models.settings import ExchangeSettings
from points.models.shops import SettlementStatement, Shop, ShopMembership, Voucher

__all__ = [
    "Account",
    "AccountKind",
    "CapReason",
    "EarningRule",
    "Entry",
    "ExchangeSettings",
    "ExpiryNotice",
    "NoticePreference",
    "SettlementStatement",
    "Shop",
    "ShopMembership",
    "Transaction",
    "TransactionKind",
    "Voucher",
    "fiscal_year_bounds",
]
