"""Writes on users and roles.

Every function is keyword-only, runs in one database transaction and raises
``accounts.exceptions`` errors for rule breaches.
"""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.exceptions import EmailInUse
from accounts.models import BACK_OFFICE_ROLES, Role, User
from accounts.validators import validate_birth_date
from core.errors import NotPermitted

#: Who may grant each role (superusers may grant any). Roles are granted, never taken:
#: no page or API lets a user add a role to themselves, and every path that grants one
#: (a coordinator approving an application, registering or importing volunteers) goes
#: through :func:`role_grant` with the person who decided it.
GRANTED_BY: dict[Role, frozenset[Role]] = {
    Role.RESIDENT: frozenset({Role.COORDINATOR, Role.CITY_STAFF}),
    Role.VOLUNTEER: frozenset({Role.COORDINATOR, Role.CITY_STAFF}),
    Role.SHOP_STAFF: frozenset({Role.CITY_STAFF}),
    Role.DISTRICT_EDITOR: frozenset({Role.CITY_STAFF}),
    Role.COORDINATOR: frozenset({Role.CITY_STAFF}),
    # City staff add colleagues (the first one is made by the superuser of go-live).
    Role.CITY_STAFF: frozenset({Role.CITY_STAFF}),
}


def role_may_grant(*, actor: User, role: Role) -> bool:
    """May ``actor`` give ``role`` to someone (see :data:`GRANTED_BY`)?"""
    return bool(actor.is_active and actor.acts_as(*GRANTED_BY[Role(role)]))


@transaction.atomic
def user_create_without_login(
    *,
    full_name: str,
    full_name_kana: str,
    actor: User,
    phone: str = "",
    birth_date: dt.date | None = None,
    roles: tuple[Role, ...] = (Role.RESIDENT,),
) -> User:
    """Register someone who has no smartphone (a coordinator does this for them),
    holding ``roles`` granted by ``actor``.

    The user has no email and no usable password, so nobody can sign in as them until
    an email is attached and verified (see :func:`user_attach_email`). Raises
    :class:`NotPermitted` (nothing is created) if ``actor`` may not grant a role, and
    ``ValidationError`` for bad fields (a birth date in the future or before 1900).
    """
    for role in roles:
        if not role_may_grant(actor=actor, role=role):
            raise NotPermitted(role=str(role))
    user = User(
        full_name=full_name, full_name_kana=full_name_kana, phone=phone, birth_date=birth_date
    )
    user.full_clean(exclude=["password"])
    try:
        validate_birth_date(birth_date)
    except ValidationError as error:
        raise ValidationError({"birth_date": error.error_list}) from error
    user.set_unusable_password()
    user.save()
    for role in roles:
        role_grant(user=user, role=role, actor=actor)
    return user


@transaction.atomic
def user_attach_email(*, user: User, email: str) -> EmailAddress:
    """Attach ``email`` to ``user`` as their unverified primary address.

    Sign-in stays impossible until the address is verified (allauth's mandatory
    verification). Raises :class:`EmailInUse` if another user already has it.
    """
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise EmailInUse(field="email")
    user.email = email
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError as exc:  # lost a race with another registration
        raise EmailInUse(field="email") from exc
    EmailAddress.objects.filter(user=user).update(primary=False)
    address, _ = EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"primary": True, "verified": False}
    )
    return address


@transaction.atomic
def role_grant(*, user: User, role: Role, actor: User) -> bool:
    """``actor`` gives ``user`` the role ``role`` (idempotent; other roles are kept).

    The one way pages, the API and imports grant a role. Returns True if the user did
    not hold it before. Raises :class:`NotPermitted` (code ``not_permitted``) if
    ``actor`` may not grant it (:data:`GRANTED_BY`), also to themselves.
    """
    if not role_may_grant(actor=actor, role=role):
        raise NotPermitted(role=str(role))
    held = user.groups.filter(name=str(role)).exists()
    if not held:
        user_grant_roles(user=user, roles=[Role(role)])
    return not held


@transaction.atomic
def role_revoke(*, user: User, role: Role, actor: User) -> bool:
    """``actor`` takes the role ``role`` from ``user`` (idempotent; other roles kept).

    Whoever may grant a role may take it back (:data:`GRANTED_BY`), but never from
    themselves: nobody locks themselves out of the back office by a slip. Returns True
    if the user held it. Raises :class:`NotPermitted`.
    """
    if user.pk == actor.pk or not role_may_grant(actor=actor, role=role):
        raise NotPermitted(role=str(role))
    held = list(user.groups.filter(name=str(role)))
    user.groups.remove(*held)
    return bool(held)


@transaction.atomic
def user_birth_date_set(*, user: User, birth_date: dt.date, actor: User) -> bool:
    """Record ``user``'s date of birth (some earning rules credit only from an age).

    Coordinators and city staff record or correct anyone's; a person may give their
    own only while none is recorded (a correction goes through the centre, since it
    changes which points they earn). Returns True if it changed. Raises
    :class:`NotPermitted` and ``ValidationError`` (future, or before 1900).
    """
    if user.birth_date == birth_date:
        return False
    staff = actor.acts_as(Role.COORDINATOR, Role.CITY_STAFF)
    if not staff and not (actor.pk == user.pk and user.birth_date is None):
        raise NotPermitted(field="birth_date")
    validate_birth_date(birth_date)
    user.birth_date = birth_date
    user.save(update_fields=["birth_date"])
    return True


@transaction.atomic
def user_grant_roles(*, user: User, roles: tuple[Role, ...] | list[Role]) -> None:
    """Add ``user`` to the role groups (idempotent; other roles are kept).

    No permission check: for seeding the demo and the system's own setup only. Pages,
    the API and imports grant through :func:`role_grant`, which says who decided."""
    groups = Group.objects.filter(name__in=[str(role) for role in roles])
    missing = {str(r) for r in roles} - {g.name for g in groups}
    if missing:
        raise ValueError(f"Role groups missing (run migrate): {sorted(missing)}")
    user.groups.add(*groups)


def role_groups_sync(*, apps=None) -> None:
    """Create any missing role group and give back-office roles Wagtail admin access.

    Idempotent. Called by the data migration (with the historical ``apps``) and by
    ``seed_demo``, so a flushed database (or a new role) is repaired the same way.
    """
    if apps is None:
        from django.apps import apps
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    access_admin = permission_model.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    for role in Role:
        group, _ = group_model.objects.get_or_create(name=role.value)
        if role in BACK_OFFICE_ROLES:
            group.permissions.add(access_admin)


@transaction.atomic
def superuser_email_verify(*, user: User) -> EmailAddress:
    """Record a superuser's email as verified and primary, so they can sign in.

    For ``createsuperuser`` only: whoever runs it holds a shell on the server, which is
    more than an emailed link would prove, and on a city's first day the mail server may
    not be set up yet. Raises ``ValueError`` for anyone else.
    """
    if not (user.is_superuser and user.email):
        raise ValueError("Only a superuser with an email address is verified this way.")
    EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).update(primary=False)
    address, _ = EmailAddress.objects.update_or_create(
        user=user, email=user.email.lower(), defaults={"primary": True, "verified": True}
    )
    return address


#: What an anonymised person is called from then on (their number keeps records apart).
ANONYMISED_NAME = "削除済み No.{pk}"
ANONYMISED_KANA = "サクジョズミ"


@transaction.atomic
def user_anonymise(*, user: User) -> User:
    """Make ``user`` anonymous for good: name, kana, email, phone and date of birth are
    overwritten, the password made unusable, the account deactivated (every session
    and API token stops working: inactive users are refused), every role, email
    address and MFA authenticator removed.

    The row itself stays, so whatever refers to it (ledger accounts, activities,
    assignments, logs) keeps its history and its totals. Nothing is sent to the
    person: there is nobody left to send it to. Idempotent."""
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    user = User.objects.select_for_update().get(pk=user.pk)
    user.full_name = ANONYMISED_NAME.format(pk=user.pk)
    user.full_name_kana = ANONYMISED_KANA
    user.email = None
    user.phone = ""
    user.birth_date = None
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()  # its tokens go with it (cascade)
    return user
