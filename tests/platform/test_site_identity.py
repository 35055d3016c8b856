"""The site's name and address come from settings (SITE_NAME, BASE_URL) everywhere:
Wagtail's Site record, iCal feeds and their UIDs, the CMS API, allauth's emails, the
editor dashboard; the home page's title does not repeat the name."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.management import call_command
from wagtail.models import Site

from cms.services.site import site_settings_sync
from core import site
from tests.cms.support import TOKYO, association, event, home

pytestmark = pytest.mark.django_db


def test_wagtails_site_record_follows_settings_after_migrate(settings):
    home()
    record = Site.objects.get(is_default_site=True)
    assert (record.hostname, record.port, record.site_name) == (
        "127.0.0.1",
        8000,
        settings.WAGTAIL_SITE_NAME,
    )
    settings.WAGTAILADMIN_BASE_URL = "https://points.example.jp/"
    settings.WAGTAIL_SITE_NAME = "小牧市いきいきポイント"
    # migrate runs the sync (post_migrate), as a deployment with new settings would.
    call_command("migrate", verbosity=0)
    record.refresh_from_db()
    assert (record.hostname, record.port, record.site_name) == (
        "points.example.jp",
        443,
        "小牧市いきいきポイント",
    )
    assert record.root_url == "https://points.example.jp"
    assert site_settings_sync() is False  # already in line: nothing written


def test_ical_uids_and_urls_use_the_configured_address(client):
    salon = event(association("chuo", "中央"), dt.datetime(2099, 4, 1, 10, tzinfo=TOKYO))
    feed = client.get("/events.ics", HTTP_HOST="127.0.0.1:8101").content.decode()
    unfolded = feed.replace("\r\n ", "")
    assert f"UID:event-{salon.pk}@127.0.0.1" in unfolded
    assert f"URL:http://127.0.0.1:8000{salon.url}" in unfolded
    assert "localhost" not in unfolded and "8101" not in unfolded
    assert f"X-WR-CALNAME:{site.site_name()}" in unfolded


def test_cms_api_links_use_the_configured_address(client):
    salon = event(association("chuo", "中央"), dt.datetime(2099, 4, 1, 10, tzinfo=TOKYO))
    detail = client.get(f"/api/cms/v2/pages/{salon.pk}/").json()
    assert detail["meta"]["html_url"] == f"http://127.0.0.1:8000{salon.url}"
    listing = client.get("/api/cms/v2/pages/", {"type": "cms.EventPage"}).json()
    assert listing["items"][0]["meta"]["detail_url"].startswith("http://127.0.0.1:8000/api/cms/")
    assert "localhost" not in str(detail) + str(listing)


def test_allauth_emails_name_the_site_not_the_request_host(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.jp",
            "password1": "Kotoshi-mo-yoroshiku",
            "password2": "Kotoshi-mo-yoroshiku",
        },
        HTTP_HOST="127.0.0.1:8101",
    )
    assert response.status_code == 302
    body = mail.outbox[-1].body
    assert site.site_name() in body
    assert not re.search(r"127\.0\.0\.1:8101(?!/)", body), body


def test_the_home_page_title_names_the_site_once(client, settings):
    page = home()
    html = client.get("/").content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert page.title == settings.WAGTAIL_SITE_NAME
    assert title == settings.WAGTAIL_SITE_NAME
    # A home page titled otherwise keeps its title and the site's name after it.
    page.title = "ようこそ"
    page.save_revision().publish()
    title = re.search(r"<title>(.*?)</title>", client.get("/").content.decode(), re.S).group(1)
    assert title == f"ようこそ | {settings.WAGTAIL_SITE_NAME}"


def test_other_pages_keep_the_site_name_after_their_title(client, settings):
    home()
    html = client.get("/search/").content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert (
        title.endswith(f" | {settings.WAGTAIL_SITE_NAME}")
        and title.count(settings.WAGTAIL_SITE_NAME) == 1
    )


def test_the_editor_dashboard_names_the_site_not_localhost(rf, django_user_model, settings):
    """The dashboard's summary ("N pages created in …") names Wagtail's Site record."""
    from wagtail.admin.site_summary import PagesSummaryItem

    home()
    request = rf.get("/admin/")
    request.user = django_user_model.objects.create_superuser(email="r@example.jp", password="x")
    context = PagesSummaryItem(request).get_context_data({})
    assert context["site_name"] == settings.WAGTAIL_SITE_NAME
