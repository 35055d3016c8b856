"""The page tree's rules (Wagtail's page test helpers) and what each page shows."""

import datetime as dt

import pytest
from django.utils import timezone
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from cms.models import (
    DistrictAssociationPage,
    DistrictIndexPage,
    EventIndexPage,
    EventPage,
    HomePage,
    NewsPage,
    ProposalCallPage,
    VolunteerSignupPage,
)
from tests.cms import support
from tests.factories import UserFactory
from tests.points.test_interfaces import signed_in_back_office


class PageTreeRulesTest(WagtailPageTestCase):
    def test_home_holds_the_site_sections(self):
        self.assertAllowedSubpageTypes(
            HomePage,
            {DistrictIndexPage, EventIndexPage, ProposalCallPage, VolunteerSignupPage},
        )
        self.assertAllowedParentPageTypes(HomePage, {Page})

    def test_associations_live_only_under_the_district_index(self):
        self.assertAllowedSubpageTypes(DistrictIndexPage, {DistrictAssociationPage})
        self.assertAllowedParentPageTypes(DistrictAssociationPage, {DistrictIndexPage})
        self.assertCanNotCreateAt(HomePage, DistrictAssociationPage)

    def test_events_and_news_live_only_under_an_association(self):
        self.assertAllowedSubpageTypes(DistrictAssociationPage, {EventPage, NewsPage})
        self.assertCanCreateAt(DistrictAssociationPage, EventPage)
        self.assertCanCreateAt(DistrictAssociationPage, NewsPage)
        for parent in (HomePage, DistrictIndexPage, EventIndexPage):
            self.assertCanNotCreateAt(parent, EventPage)
            self.assertCanNotCreateAt(parent, NewsPage)
        self.assertAllowedSubpageTypes(EventPage, set())

    def test_calls_and_indexes_hang_from_home(self):
        self.assertAllowedParentPageTypes(ProposalCallPage, {HomePage})
        self.assertAllowedParentPageTypes(EventIndexPage, {HomePage})
        self.assertCanNotCreateAt(DistrictAssociationPage, ProposalCallPage)

    def test_an_event_is_created_through_the_admin_form_under_an_association(self):
        association = support.association("aoba", "青葉")
        admin = UserFactory(is_superuser=True)
        signed_in_back_office(self.client, admin)  # the admin requires TOTP
        start = timezone.localtime() + dt.timedelta(days=3)
        self.assertCanCreate(
            association,
            EventPage,
            {
                "title": "青葉サロン",
                "slug": "aoba-salon",
                "start_at": start.strftime("%Y-%m-%d %H:%M"),
                "end_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
                "venue": "青葉会館",
                "description": '{"blocks": [], "entityMap": {}}',
            },
        )
        created = EventPage.objects.get(slug="aoba-salon")
        assert created.district == association.district  # copied from the parent
        self.assertPageIsRenderable(created)


pytestmark = pytest.mark.django_db


def test_home_shows_events_news_open_calls_volunteering_and_phone(client):
    home = support.home()
    home.mutual_aid_phone = "0120-123-456"
    home.volunteer_intro = "<p>どなたでも登録できます</p>"
    home.save()
    home.add_child(instance=VolunteerSignupPage(title="ボランティア登録", slug="volunteer"))
    chuo = support.association("chuo", "中央")
    support.event(chuo, support.in_days(5), title="中央サロン")
    support.event(chuo, support.in_days(-5), title="終わった会")
    support.news(chuo, title="夏祭りの報告")
    support.call(slug="open-call")
    support.call(opens=10, closes=40, slug="future-call")

    html = client.get("/").content.decode()
    assert "中央サロン" in html and "終わった会" not in html
    assert "夏祭りの報告" in html
    assert "/open-call/" in html and "/future-call/" not in html
    assert "どなたでも登録できます" in html and "/volunteer/" in html
    assert 'href="tel:0120-123-456"' in html
    assert 'href="#main"' in html  # skip link


def test_event_page_shows_japanese_dates_and_add_to_calendar(client):
    chuo = support.association("chuo", "中央")
    start = dt.datetime(2026, 12, 5, 10, 0, tzinfo=support.TOKYO)
    page = support.event(chuo, start, title="年末サロン", capacity=20, registration_required=True)
    html = client.get(page.url).content.decode()
    assert "2026年12月5日(土) 10:00〜12:00" in html
    assert f'href="/events/{page.pk}.ics"' in html
    assert "<dd>20人</dd>" in html and "<dd>必要</dd>" in html


def test_association_page_lists_only_its_own_events(client):
    chuo, kita = support.association("chuo", "中央"), support.association("kita", "北")
    support.event(chuo, support.in_days(3), title="中央の会")
    support.event(kita, support.in_days(3), title="北の会")
    html = client.get(chuo.url).content.decode()
    assert "中央の会" in html and "北の会" not in html
    assert 'href="/districts/chuo/events.ics"' in html


def test_large_text_option_is_remembered(client):
    support.home()
    response = client.post("/text-size/", {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    # On <html>, not <body>: rem sizes follow the root element's font size.
    assert '<html lang="ja" class="large-text">' in client.get("/").content.decode()
    client.post("/text-size/", {"next": "https://evil.example/"})
    assert 'class="large-text"' not in client.get("/").content.decode()


def test_events_follow_their_association_when_moved_or_renumbered():
    from django.core.exceptions import ValidationError

    chuo, kita = support.association("chuo", "中央"), support.association("kita", "北")
    page = support.event(chuo, support.in_days(3))
    news = support.news(chuo)
    assert (page.district, news.district) == (chuo.district, chuo.district)

    page.move(kita, pos="last-child")
    page.refresh_from_db()
    assert page.district == kita.district

    other = support.DistrictFactory(code="minami", name="南", name_kana="ミナミ")
    chuo.district = other
    chuo.save_revision().publish()
    news.refresh_from_db()
    assert news.district == other

    broken = EventPage(
        title="逆転", slug="x", venue="v", start_at=support.in_days(2), end_at=support.in_days(1)
    )
    with pytest.raises(ValidationError) as error:
        broken.full_clean(exclude=["path", "depth"])
    assert "end_at" in error.value.message_dict


def test_a_draft_with_another_district_leaves_the_live_events_and_news_alone():
    """save_revision() saves the page (update_fields) with the draft's district in
    memory; only publishing it moves the events and news below."""
    chuo = support.association("chuo", "中央")
    page, news = support.event(chuo, support.in_days(3)), support.news(chuo)
    other = support.DistrictFactory(code="minami", name="南", name_kana="ミナミ")

    draft = DistrictAssociationPage.objects.get(pk=chuo.pk)
    draft.district = other
    revision = draft.save_revision()
    support.event(chuo, support.in_days(4), slug="while-drafting")
    for scoped in (page, news, EventPage.objects.get(slug="while-drafting")):
        scoped.refresh_from_db()
        assert scoped.district == chuo.district, scoped
    assert DistrictAssociationPage.objects.get(pk=chuo.pk).district == chuo.district

    revision.publish()
    assert set(EventPage.objects.values_list("district", flat=True)) == {other.pk}
    news.refresh_from_db()
    assert news.district == other
