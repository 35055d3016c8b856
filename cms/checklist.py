"""The public site's line of the go-live checklist (reads only): the mutual-aid
centre's phone number, shown on every page."""

from __future__ import annotations

from django.urls import reverse

from cms.models import HomePage
from core.navigation import Check


def centre_phone_check() -> Check:
    home = HomePage.objects.only("mutual_aid_phone").first()
    phone = home.mutual_aid_phone if home else ""
    return Check(done=bool(phone), count=1 if phone else 0, note=phone)


def home_page_edit_url() -> str:
    """The home page's editor, where the phone is set (the page tree if it is gone)."""
    home = HomePage.objects.only("pk").first()
    if home is None:
        return reverse("wagtailadmin_explore_root")
    return reverse("wagtailadmin_pages:edit", args=[home.pk])
