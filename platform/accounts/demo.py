"""Demo data for the accounts layer: the town's districts and one login per role.

Idempotent: running it again updates in place and prints the same logins.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import decrypt
from django.db import transaction

from accounts.models import BACK_OFFICE_ROLES, District, Role, User
from accounts.services import role_groups_sync, user_grant_roles

DEMO_PASSWORD = "ikiiki-demo-2026"  # noqa: S105 (demo only; seed_demo refuses production)

# (code, name, kana): thirteen elementary-school districts of a fictional town.
DISTRICTS = [
    ("chuo", "中央", "チュウオウ"),
    ("higashi", "東", "ヒガシ"),
    ("nishi", "西", "ニシ"),
    ("minami", "南", "ミナミ"),
    ("kita", "北", "キタ"),
    ("sakuragaoka", "桜ヶ丘", "サクラガオカ"),
    ("midoricho", "緑町", "ミドリチョウ"),
    ("asahi", "旭", "アサヒ"),
    ("wakaba", "若葉", "ワカバ"),
    ("honcho", "本町", "ホンチョウ"),
    ("minato", "港", "ミナト"),
    ("yamate", "山手", "ヤマテ"),
    ("kawabe", "川辺", "カワベ"),
]


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    email: str
    full_name: str
    full_name_kana: str


DEMO_LOGINS = [
    DemoLogin(Role.RESIDENT, "resident@demo.example.jp", "山田 花子", "ヤマダ ハナコ"),
    DemoLogin(Role.VOLUNTEER, "volunteer@demo.example.jp", "佐藤 健一", "サトウ ケンイチ"),
    DemoLogin(Role.COORDINATOR, "coordinator@demo.example.jp", "鈴木 美咲", "スズキ ミサキ"),
    DemoLogin(Role.SHOP_STAFF, "shop@demo.example.jp", "高橋 誠", "タカハシ マコト"),
    DemoLogin(Role.DISTRICT_EDITOR, "editor@demo.example.jp", "田中 由美", "タナカ ユミ"),
    DemoLogin(Role.CITY_STAFF, "city@demo.example.jp", "伊藤 浩", "イトウ ヒロシ"),
]


def totp_secret_for(user: User) -> str:
    """The user's TOTP secret, creating the authenticator on first use."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        return secret
    return decrypt(authenticator.data["secret"])


@transaction.atomic
def seed(out) -> None:
    role_groups_sync()
    for order, (code, name, kana) in enumerate(DISTRICTS, start=1):
        District.objects.update_or_create(
            code=code, defaults={"name": name, "name_kana": kana, "sort_order": order}
        )
    out.write(f"districts: {District.objects.count()}")

    out.write(f"demo logins (password for all: {DEMO_PASSWORD})")
    for login in DEMO_LOGINS:
        user, _ = User.objects.update_or_create(
            email=login.email,
            defaults={"full_name": login.full_name, "full_name_kana": login.full_name_kana},
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=login.email, defaults={"verified": True, "primary": True}
        )
        user_grant_roles(user=user, roles=[login.role])
        line = f"  {login.role.label:<16} {login.email}"
        if login.role in BACK_OFFICE_ROLES:
            line += f"  TOTP secret: {totp_secret_for(user)}"
        out.write(line)
