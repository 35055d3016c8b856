"""Spreadsheet onboarding of volunteers (django-import-export), as for shops.

Columns: full_name, full_name_kana, phone, email (optional: people without a
smartphone have none), birth_date (YYYY-MM-DD; an empty cell keeps the date recorded),
home_district (code), districts (codes, space-separated),
skills (category codes, space-separated), has_car (1/0, yes/no, はい/いいえ),
insurance_valid_until (YYYY-MM-DD), languages, weekly ("mon 09:00-12:00; thu
13:00-16:00"; or 月 火 水 木 金 土 日). Rows are matched on email, else on name and
phone, so re-importing updates. Each row's profile goes through
``volunteer_profile_save`` (same checks as the pages, matching index rebuilt)."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from accounts.models import District, Role, User
from accounts.services import role_grant
from accounts.validators import validate_birth_date
from volunteers.models import HelpCategory, VolunteerProfile
from volunteers.services.profiles import volunteer_profile_save

DAYS = {
    **{d: i for i, d in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])},
    **{d: i for i, d in enumerate("月火水木金土日")},
}
SLOT = re.compile(r"^\s*(\S+)\s+(\d{1,2}:\d{2})\s*[-–~〜]\s*(\d{1,2}:\d{2})\s*$")
EXTRA = [
    "home_district",
    "districts",
    "skills",
    "has_car",
    "insurance_valid_until",
    "languages",
    "weekly",
]


def _codes(value) -> list[str]:
    return str(value or "").replace(",", " ").replace("、", " ").split()


def _flag(value) -> bool:
    return str(value or "").strip().lower() in {"1", "true", "yes", "y", "はい", "有", "あり"}


def _weekly(value) -> list[tuple[int, dt.time, dt.time]]:
    slots = []
    for part in re.split(r"[;；\n]", str(value or "")):
        if not part.strip():
            continue
        match = SLOT.match(part)
        day = DAYS.get(match.group(1).lower()) if match else None
        if day is None:
            raise ValidationError(
                {"weekly": _("Cannot read the slot “%(slot)s”.") % {"slot": part}}
            )
        starts, ends = (dt.time.fromisoformat(t.zfill(5)) for t in match.group(2, 3))
        slots.append((day, starts, ends))
    return slots


class VolunteerResource(resources.ModelResource):
    birth_date = fields.Field(
        column_name="birth_date", attribute="birth_date", widget=widgets.DateWidget("%Y-%m-%d")
    )
    home_district = fields.Field(column_name="home_district", attribute=None, readonly=True)
    districts = fields.Field(column_name="districts", attribute=None, readonly=True)
    skills = fields.Field(column_name="skills", attribute=None, readonly=True)
    has_car = fields.Field(column_name="has_car", attribute=None, readonly=True)
    insurance_valid_until = fields.Field(
        column_name="insurance_valid_until", attribute=None, readonly=True
    )
    languages = fields.Field(column_name="languages", attribute=None, readonly=True)
    weekly = fields.Field(column_name="weekly", attribute=None, readonly=True)

    class Meta:
        model = User
        fields = ["full_name", "full_name_kana", "phone", "email", "birth_date", *EXTRA]
        import_id_fields = ["email"]
        clean_model_instances = True
        skip_unchanged = False

    def __init__(self, *, actor: User, **kwargs):
        super().__init__(**kwargs)
        self.actor = actor

    def get_instance(self, instance_loader, row):
        email = str(row.get("email") or "").strip().lower()
        if email:
            return User.objects.filter(email=email).first()
        return User.objects.filter(
            full_name=str(row.get("full_name") or "").strip(),
            phone=str(row.get("phone") or "").strip() or "",
            email__isnull=True,
        ).first()

    def init_instance(self, row=None):
        instance = super().init_instance(row)
        instance.set_unusable_password()  # sign-in only after an email is verified
        return instance

    def import_instance(self, instance, row, **kwargs):
        recorded = instance.birth_date
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if "birth_date" in errors:
            errors["birth_date"] = [_("Use the format YYYY-MM-DD.")]
        elif instance.birth_date is None:
            instance.birth_date = recorded  # an empty cell never erases a recorded date
        else:
            try:
                validate_birth_date(instance.birth_date)
            except ValidationError as error:
                errors["birth_date"] = error.messages
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        if not instance.email:
            instance.email = None

    def after_save_instance(self, instance, row, **kwargs):
        districts = list(District.objects.filter(code__in=_codes(row.get("districts"))))
        skills = list(HelpCategory.objects.filter(code__in=_codes(row.get("skills"))))
        if len(districts) != len(set(_codes(row.get("districts")))):
            raise ValidationError({"districts": _("Unknown district code.")})
        if len(skills) != len(set(_codes(row.get("skills")))):
            raise ValidationError({"skills": _("Unknown help category code.")})
        home = None
        if row.get("home_district"):
            home = District.objects.filter(code=str(row["home_district"]).strip()).first()
            if home is None:
                raise ValidationError({"home_district": _("Unknown district code.")})
        insurance = row.get("insurance_valid_until") or None
        if isinstance(insurance, dt.datetime):
            insurance = insurance.date()
        elif insurance:
            try:
                insurance = dt.date.fromisoformat(str(insurance).strip())
            except ValueError as exc:
                raise ValidationError(
                    {"insurance_valid_until": _("Use the format YYYY-MM-DD.")}
                ) from exc
        # The sheet has no gender or active column: keep what the centre recorded, so
        # re-importing never reactivates a volunteer a coordinator took off the list.
        existing = VolunteerProfile.objects.filter(user=instance).first()
        # The coordinator importing the sheet registers each row as a volunteer.
        role_grant(user=instance, role=Role.VOLUNTEER, actor=self.actor)
        volunteer_profile_save(
            user=instance,
            actor=self.actor,
            districts=districts,
            skills=skills,
            weekly=_weekly(row.get("weekly")),
            home_district=home,
            has_car=_flag(row.get("has_car")),
            languages=str(row.get("languages") or ""),
            insurance_valid_until=insurance,
            gender=existing.gender if existing else "",
            active=existing.active if existing else True,
            manage_insurance=True,
        )
