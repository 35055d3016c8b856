"""The shared user model and reference data.

One ``User`` serves residents, volunteers, coordinators, shop staff, district editors
and city staff. Roles are Django groups (so Wagtail permissions apply); role-specific
data lives in profiles owned by the app that needs them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from accounts.kana import normalize_kana, validate_kana
from accounts.validators import age_on


class Role(models.TextChoices):
    """The role groups. The value is the Django group's name, created by a migration."""

    RESIDENT = "resident", _("Resident")
    VOLUNTEER = "volunteer", _("Volunteer")
    COORDINATOR = "coordinator", _("Coordinator")
    SHOP_STAFF = "shop_staff", _("Shop staff")
    DISTRICT_EDITOR = "district_editor", _("District editor")
    CITY_STAFF = "city_staff", _("City staff")


#: Roles whose members work in the Wagtail back office (and so must use MFA).
BACK_OFFICE_ROLES = frozenset({Role.COORDINATOR, Role.DISTRICT_EDITOR, Role.CITY_STAFF})


class District(models.Model):
    """An elementary-school district (小学校区), the unit of district associations."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_kana = models.CharField(_("name (kana)"), max_length=200, validators=[validate_kana])
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "Closed districts are no longer offered in forms; records that already "
            "have one keep it."
        ),
    )

    class Meta:
        ordering = ["sort_order", "name_kana"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_kana = normalize_kana(self.name_kana)
        super().save(*args, **kwargs)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str | None, password: str | None, **extra):
        email = self.normalize_email(email).lower() if email else None
        user = self.model(email=email, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str | None = None, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        if not email:
            raise ValueError("A superuser needs an email address.")
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who appears in the system, whether or not they ever sign in.

    ``email`` is the login. It may be empty for a resident or volunteer without a
    smartphone, created by a coordinator: such a user has no usable password and
    cannot sign in until an email address is set and verified.
    """

    class Language(models.TextChoices):
        JAPANESE = "ja", "日本語"
        ENGLISH = "en", "English"

    email = models.EmailField(_("email address"), unique=True, null=True, blank=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    full_name_kana = models.CharField(
        _("full name (kana)"),
        max_length=300,
        blank=True,
        validators=[validate_kana],
        help_text=_("Reading in katakana, used for sorting and search."),
    )
    phone = PhoneNumberField(_("phone number"), region="JP", blank=True)
    birth_date = models.DateField(
        _("date of birth"),
        null=True,
        blank=True,
        help_text=_("Some schemes only credit points from a minimum age."),
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=Language.choices,
        default=Language.JAPANESE,
    )
    is_staff = models.BooleanField(
        _("Django admin access"),
        default=False,
        help_text=_("Only for system administrators; the back office is Wagtail."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["full_name_kana", "pk"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["full_name_kana"], name="accounts_user_kana_idx")]

    def __str__(self) -> str:
        return self.full_name or self.email or f"#{self.pk}"

    def clean(self):
        super().clean()
        if self.email:
            self.email = self.__class__.objects.normalize_email(self.email).lower()
        self.full_name_kana = normalize_kana(self.full_name_kana)

    def save(self, *args, **kwargs):
        if self.email:
            self.email = self.email.strip().lower()
        else:
            self.email = None
        self.full_name_kana = normalize_kana(self.full_name_kana)
        super().save(*args, **kwargs)

    # Wagtail and Django admin display helpers.
    def get_full_name(self) -> str:
        return self.full_name or (self.email or "")

    def get_short_name(self) -> str:
        return self.full_name or (self.email or "")

    @property
    def role_names(self) -> list[str]:
        """Role values this user holds, in the order of :class:`Role`."""
        held = {g.name for g in self.groups.all()}
        return [role.value for role in Role if role.value in held]

    def has_role(self, role: Role | str) -> bool:
        return any(g.name == str(role) for g in self.groups.all())

    def acts_as(self, *roles: Role | str) -> bool:
        """May this user do what ``roles`` may? (Superusers may do everything.)"""
        return self.is_superuser or any(self.has_role(role) for role in roles)

    def age_on(self, day) -> int | None:
        """Age in whole years on ``day`` (None when the birth date is unknown)."""
        if self.birth_date is None:
            return None
        return age_on(self.birth_date, day)

    @property
    def can_sign_in(self) -> bool:
        return bool(self.is_active and self.email and self.has_usable_password())


def language_for(user) -> str:
    """The interface language for ``user`` (falls back to the site default)."""
    value = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
    return value if value in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
