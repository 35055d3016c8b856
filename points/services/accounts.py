"""The ledger's accounts: the scheme's own, each user's wallet, each shop's two.

Writes: each account is created on first use (``get_or_create``), which is why these
live in services and not in selectors.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.models import User
from points.models import Account, AccountKind, Shop

SYSTEM_ACCOUNTS = {
    AccountKind.ISSUANCE: ("issuance", "いきいきポイント発行"),
    AccountKind.VOUCHER_LIABILITY: ("voucher-liability", "商品券引換済ポイント"),
    AccountKind.EXPIRED: ("expired", "失効ポイント"),
}


def system_account(kind: AccountKind) -> Account:
    """The scheme-wide account of ``kind`` (created on first use)."""
    code, name = SYSTEM_ACCOUNTS[kind]
    account, _ = Account.objects.get_or_create(code=code, defaults={"kind": kind, "name": name})
    return account


def wallet_for(user: User) -> Account:
    """The user's points wallet (created on first use; safe under concurrency)."""
    account, _ = Account.objects.get_or_create(
        owner=user,
        kind=AccountKind.WALLET,
        defaults={"code": f"wallet-{user.pk}", "name": f"{user} のポイント"},
    )
    return account


def wallet_and_issuance(user: User) -> tuple[Account, Account]:
    """The user's wallet and the issuance account: one query when both exist (every
    award needs the two), else created as :func:`wallet_for` and
    :func:`system_account` do."""
    found = {
        account.kind: account
        for account in Account.objects.filter(
            Q(kind=AccountKind.WALLET, owner=user)
            | Q(code=SYSTEM_ACCOUNTS[AccountKind.ISSUANCE][0])
        )
    }
    wallet = found.get(AccountKind.WALLET) or wallet_for(user)
    issuance = found.get(AccountKind.ISSUANCE) or system_account(AccountKind.ISSUANCE)
    return wallet, issuance


def shop_accounts(shop: Shop) -> tuple[Account, Account]:
    """The shop's receivable (redeemed, not yet paid) and settled accounts (created on
    first use)."""
    receivable, _ = Account.objects.get_or_create(
        code=f"shop-{shop.pk}-receivable",
        defaults={"kind": AccountKind.SHOP_RECEIVABLE, "name": f"{shop.name} 未精算"},
    )
    settled, _ = Account.objects.get_or_create(
        code=f"shop-{shop.pk}-settled",
        defaults={"kind": AccountKind.SHOP_SETTLED, "name": f"{shop.name} 精算済"},
    )
    return receivable, settled
