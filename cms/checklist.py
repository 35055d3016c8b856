"""The public site's lines of the go-live checklist (reads only): the mutual-aid
centre's phone number, shown on every page, and the page where residents sign up to
volunteer (the home page links to it only once it is published)."""

from __future__ import annotations

from django.urls import reverse

from cms.models import HomePage, VolunteerSignupPage
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


def volunteer_signup_check() -> Check:
    count = VolunteerSignupPage.objects.live().count()
    return Check(done=count > 0, count=count)


def volunteer_signup_add_url() -> str:
    """Where city staff add the sign-up page: under the home page."""
    home = HomePage.objects.only("pk").first()
    if home is None:
        return reverse("wagtailadmin_explore_root")
    return reverse("wagtailadmin_pages:add", args=["cms", "volunteersignuppage", home.pk])
