"""Volunteer applications from the public sign-up page and coordinators' decisions."""

from __future__ import annotations

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from phonenumber_field.phonenumber import to_python as phone_parse

from accounts.models import Role, User, language_for
from accounts.onboarding import role_setup
from accounts.services import role_grant
from cms.exceptions import AccountDeactivated, ApplicationDecided
from cms.models import VolunteerApplication
from cms.tasks import send_volunteer_welcome
from core import site
from core.errors import NotPermitted
from core.outbox import send_once


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
    """Approve a pending application in one step: the person's account is created (or
    an existing one with that email reused), given what the application holds (name,
    kana, phone; an existing account keeps what it already has) and the volunteer role;
    the volunteers app sets up their profile with the district applied from
    (``accounts.onboarding``), so they are in the coordinators' lists at once; after
    commit they are emailed how to sign in (:func:`volunteer_application_welcome_send`).

    The account has no password: the volunteer signs in with an emailed code or sets a
    password from the emailed link, both of which prove the address. Raises
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
    _carry_over(application, user)
    if user.birth_date is None and application.birth_date is not None:
        user.birth_date = application.birth_date  # what an earning rule's minimum age needs
        user.save(update_fields=["birth_date"])
    role_grant(user=user, role=Role.VOLUNTEER, actor=actor)
    role_setup(role=Role.VOLUNTEER, user=user, actor=actor, district=application.district)
    application.status = VolunteerApplication.Status.APPROVED
    application.decided_at = timezone.now()
    application.decided_by = actor
    application.user = user
    application.save(update_fields=["status", "decided_at", "decided_by", "user"])
    transaction.on_commit(lambda: send_volunteer_welcome.delay(application.pk))
    return user


def _carry_over(application: VolunteerApplication, user: User) -> None:
    """Fill the account's empty name, kana and phone from the application (what the
    person already gave the city is never overwritten by a public form)."""
    changed = []
    for field in ("full_name", "full_name_kana"):
        if not getattr(user, field) and getattr(application, field):
            setattr(user, field, getattr(application, field))
            changed.append(field)
    phone = phone_parse(application.phone, region="JP") if application.phone else None
    if not user.phone and phone is not None and phone.is_valid():
        user.phone = phone
        changed.append("phone")
    if changed:
        user.save(update_fields=changed)


def volunteer_application_welcome_send(*, application_id: int) -> bool:
    """Email an approved applicant, in their language, how to sign in: the page to
    sign in with an emailed code (at any time; it also confirms the address) and a
    link to set a password (allauth's reset key, valid ``PASSWORD_RESET_TIMEOUT``).

    Claim -> send -> mark (:func:`core.outbox.send_once`): no transaction or row lock
    is held while the mail goes out. A second call (a retried or redelivered task, a
    second approval attempt) finds ``welcome_sent_at`` set and sends nothing; only a
    crash between sending and marking sends it twice. Returns whether it sent.
    Raises :class:`core.outbox.SendClaimed` while another attempt is sending it."""

    def prepare():
        application = (
            VolunteerApplication.objects.select_related("user").filter(pk=application_id).first()
        )
        user = application.user if application else None
        if (
            application is None
            or application.welcome_sent_at is not None
            or application.status != VolunteerApplication.Status.APPROVED
            or user is None
            or not user.is_active
            or not user.email
        ):
            return None
        base = site.base_url()
        password_url = base + reverse(
            "account_reset_password_from_key",
            kwargs={
                "uidb36": user_pk_to_url_str(user),
                "key": default_token_generator.make_token(user),
            },
        )
        context = {
            "name": user.get_full_name() or application.full_name,
            "email": user.email,
            "password_url": password_url,
            "code_url": base + reverse("account_request_login_code"),
            "reset_url": base + reverse("account_reset_password"),
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        }
        with translation.override(language_for(user)):
            subject = render_to_string("cms/email/volunteer_welcome_subject.txt", context).strip()
            body = render_to_string("cms/email/volunteer_welcome.txt", context)
        return lambda: send_mail(subject, body, None, [user.email])

    return bool(
        send_once(
            key=f"cms.volunteer-welcome:{application_id}",
            prepare=prepare,
            mark=lambda: VolunteerApplication.objects.filter(
                pk=application_id, welcome_sent_at__isnull=True
            ).update(welcome_sent_at=timezone.now()),
        )
    )


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
