"""The accounts app's lines of the go-live checklist (reads only): districts, and the
back-office accounts with their TOTP (MFA)."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from accounts.models import BACK_OFFICE_ROLES, District, Role, User
from core.navigation import Check


def districts_check() -> Check:
    """Done once at least one district is open."""
    count = District.objects.filter(is_active=True).count()
    return Check(done=count > 0, count=count)


def staff_mfa_check() -> Check:
    """Done when the centre has a coordinator and every active back-office account
    (the back-office roles and superusers) has set up TOTP; the note names those
    who have not."""
    staff = list(
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=[str(r) for r in BACK_OFFICE_ROLES]))
        .distinct()
        .annotate(
            has_totp=Exists(
                Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
            )
        )
        .order_by("full_name_kana", "pk")
    )
    without = [user for user in staff if not user.has_totp]
    coordinators = User.objects.filter(is_active=True, groups__name=Role.COORDINATOR).exists()
    notes = []
    if not coordinators:
        notes.append(_("No coordinator account yet."))
    if without:
        names = "、".join(user.full_name or user.email or str(user.pk) for user in without)
        notes.append(_("Without MFA: %(names)s") % {"names": names})
    return Check(
        done=coordinators and not without, count=len(staff) - len(without), note=" ".join(notes)
    )
