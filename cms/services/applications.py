"""Volunteer applications from the public sign-up page and coordinators' decisions."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import role_grant
from cms.exceptions import AccountDeactivated, ApplicationDecided
from cms.models import VolunteerApplication
from core.errors import NotPermitted


@transaction.atomic
def volunteer_application_submit(*, fields: dict) -> VolunteerApplication:
    """Record a pending application from the public sign-up page."""
    application = VolunteerApplication(
        **{
            k: fields.get(k, "")
            for k in ("full_name", "full_name_kana", "email", "phone", "message")
        },
        district=fields.get("district"),
        birth_date=fields.get("birth_date"),
    )
    application.email = application.email.strip().lower()
    application.full_clean()
    application.save()
    return application


@transaction.atomic
def volunteer_application_approve(*, application_id: int, actor: User) -> User:
    """Approve a pending application: the person's account is created (or an existing
    one with that email reused) and added to the volunteer role group.

    The account has no password: the volunteer signs in with an emailed code or sets a
    password through "forgot password", both of which prove the address. Raises
    :class:`NotPermitted` for non-coordinators, :class:`ApplicationDecided`, and
    :class:`AccountDeactivated` when the email belongs to a deactivated account (it
    stays deactivated and the application pending).
    """
    if not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()
    application = VolunteerApplication.objects.select_for_update().get(pk=application_id)
    if application.status != VolunteerApplication.Status.PENDING:
        raise ApplicationDecided()
    user = User.objects.filter(email__iexact=application.email).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=application.email,
                    password=None,
                    full_name=application.full_name,
                    full_name_kana=application.full_name_kana,
                )
                EmailAddress.objects.create(
                    user=user, email=user.email, primary=True, verified=False
                )
        except IntegrityError:
            # Another application with this email was approved at the same moment
            # (READ COMMITTED: its committed row is visible to the next statement).
            user = User.objects.get(email__iexact=application.email)
    if not user.is_active:
        # Deactivated on purpose by an administrator: a public form (anyone may type
        # anyone's address) must not bring the account back.
        raise AccountDeactivated()
    if user.birth_date is None and application.birth_date is not None:
        user.birth_date = application.birth_date  # what an earning rule's minimum age needs
        user.save(update_fields=["birth_date"])
    role_grant(user=user, role=Role.VOLUNTEER, actor=actor)
    application.status = VolunteerApplication.Status.APPROVED
    application.decided_at = timezone.now()
    application.decided_by = actor
    application.user = user
    application.save(update_fields=["status", "decided_at", "decided_by", "user"])
    return user


@transaction.atomic
def volunteer_application_reject(*, application_id: int, actor: User) -> VolunteerApplication:
    """Turn down a pending application (nothing else changes)."""
    if not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()
    application = VolunteerApplication.objects.select_for_update().get(pk=application_id)
    if application.status != VolunteerApplication.Status.PENDING:
        raise ApplicationDecided()
    application.status = VolunteerApplication.Status.REJECTED
    application.decided_at = timezone.now()
    application.decided_by = actor
    application.save(update_fields=["status", "decided_at", "decided_by"])
    return application
