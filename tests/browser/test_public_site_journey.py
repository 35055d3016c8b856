"""Journey 4: a district association's editor posts an event in the back office and
it shows on the home page and in the iCal feed; a citizen group submits a
collaboration proposal and city staff move it to screening. Also how the public pages
hold up on a 320 px screen, with large text, and with the keyboard's focus ring."""

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from ical.calendar_stream import IcsCalendarStream

from cms.models import (
    DistrictAssociationPage,
    EventIndexPage,
    EventPage,
    Proposal,
    ProposalCallPage,
    ProposalStatus,
)
from tests.browser.signin import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def demo(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    password = re.search(r"password for all: (\S+)\)", out).group(1)
    secrets = dict(re.findall(r"(\S+@\S+)\s+TOTP secret: (\w+)", out))
    return password, secrets


def test_editor_posts_an_event_that_appears_on_home_and_in_the_feed(desk_page, demo, client):
    password, secrets = demo
    editor = "editor@demo.example.jp"
    association = DistrictAssociationPage.objects.order_by("path").first()
    sign_in(desk_page, editor, password, secret=secrets[editor])

    day = timezone.localdate() + dt.timedelta(days=1)
    desk_page.goto(f"/admin/pages/add/cms/eventpage/{association.pk}/")
    desk_page.locator("#id_title").fill("ブラウザから登録した健康講座")
    desk_page.locator("#id_start_at").fill(f"{day:%Y-%m-%d} 07:30")
    desk_page.locator("#id_end_at").fill(f"{day:%Y-%m-%d} 08:30")
    desk_page.locator("#id_venue").fill("中央公民館 大ホール")
    desk_page.keyboard.press("Escape")  # close the date picker
    # Wagtail's footer: the primary action saves a draft; "publish" is in its menu.
    desk_page.locator(
        "footer .dropdown-toggle, footer [data-w-dropdown-target='toggle']"
    ).first.click()
    desk_page.get_by_role("button", name=re.compile("公開")).first.click()
    desk_page.wait_for_url(re.compile(r"/admin/pages/\d+/"))

    event = EventPage.objects.get(title="ブラウザから登録した健康講座")
    assert event.live and event.district_id == association.district_id
    assert timezone.localtime(event.start_at).hour == 7

    desk_page.goto("/")
    upcoming = desk_page.get_by_role("region", name="これからのイベント")
    assert upcoming.get_by_role("link", name="ブラウザから登録した健康講座").is_visible()
    assert f"{day.month}月{day.day}日" in upcoming.inner_text()

    feed = desk_page.request.get("/events.ics")
    assert feed.ok
    calendar = IcsCalendarStream.calendar_from_ics(feed.text())
    (entry,) = [e for e in calendar.events if e.summary == "ブラウザから登録した健康講座"]
    assert entry.dtstart.hour == 7 and entry.dtstart.tzinfo.key == "Asia/Tokyo"
    assert entry.location.startswith("中央公民館 大ホール")


def test_citizen_group_submits_a_proposal_and_staff_move_it_to_screening(
    chromium, live_server, demo
):
    password, secrets = demo
    citizen = chromium.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 844}, base_url=live_server.url
    )
    page = citizen.new_page()
    sign_in(page, "resident@demo.example.jp", password)
    page.goto("/")
    page.get_by_role("region", name="募集中の協働提案").get_by_role(
        "link", name=re.compile("市民提案型")
    ).click()
    page.get_by_role("link", name="提案を提出する").click()
    page.get_by_label("団体名").fill("ブラウザ見守りの会")
    page.get_by_label("代表者").fill("山田 花子")
    page.get_by_label("構成員数").fill("6")
    page.get_by_label("活動年数").fill("4")
    page.get_by_label("事業名").fill("ブラウザから出した提案")
    page.get_by_label("目的").fill("見守りの輪を広げる")
    page.get_by_label("事業内容").fill("毎週の声かけ訪問")
    page.get_by_label("期待される効果").fill("孤立の予防")
    page.get_by_label("市との役割分担").fill("市は広報を担う")
    page.get_by_label("費目 1").fill("消耗品費")
    page.get_by_label("金額（円） 1").fill("12000")
    page.get_by_label("添付ファイル").set_input_files(
        {"name": "提案書.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
    )
    page.get_by_role("button", name="提出する").click()
    page.wait_for_url(re.compile(r"/me/proposals/$"))
    assert page.get_by_role("status").get_by_text("受け付けました").is_visible()
    proposal = Proposal.objects.get(title="ブラウザから出した提案")
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.attachments.count() == 1

    office = chromium.new_context(
        locale="ja-JP", viewport={"width": 1280, "height": 900}, base_url=live_server.url
    )
    staff = office.new_page()
    sign_in(staff, "city@demo.example.jp", password, secret=secrets["city@demo.example.jp"])
    staff.goto("/admin/proposals/")
    row = staff.get_by_role("row").filter(has_text="ブラウザから出した提案")
    row.get_by_role("link", name="審査する").click()
    staff.get_by_label("新しい状態").select_option(label="書類審査中")
    staff.get_by_label("提案者へのメッセージ").fill("書類を受け付けました")
    staff.get_by_role("button", name="この段階を記録する").click()
    staff.wait_for_load_state()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SCREENING

    page.goto("/me/proposals/")
    card = page.get_by_role("article").filter(has_text="ブラウザから出した提案")
    assert "書類審査中" in card.inner_text() and "書類を受け付けました" in card.inner_text()
    assert "審査からのメッセージ" in card.inner_text()
    citizen.close()
    office.close()


NARROW = {"width": 320, "height": 640}  # WCAG 1.4.10: reflow without scrolling sideways


def font_size(locator) -> float:
    return float(locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


def test_public_pages_fit_a_320_px_screen_and_large_text_grows_headings(
    chromium, live_server, demo
):
    password, _ = demo
    context = chromium.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport=NARROW, base_url=live_server.url
    )
    page = context.new_page()
    sign_in(page, "resident@demo.example.jp", password)  # the header is at its fullest
    event = EventPage.objects.live().filter(start_at__gte=timezone.now()).first()
    index = EventIndexPage.objects.live().get()
    call = ProposalCallPage.objects.live().order_by("path").first()
    urls = ["/", event.url, index.url, f"{call.url}submit/"]

    def assert_no_sideways_scrolling():
        found = {}
        for url in urls:
            page.goto(url)
            found[url] = page.evaluate("document.documentElement.scrollWidth")
        assert all(width <= NARROW["width"] for width in found.values()), found

    assert_no_sideways_scrolling()

    page.goto(index.url)
    heading = page.locator(".event-item h3").first
    normal = font_size(heading)
    page.get_by_role("button", name="文字を大きく").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="文字を大きく").get_attribute("aria-pressed") == "true"
    assert font_size(page.locator(".event-item h3").first) >= normal * 1.25 - 0.5
    assert_no_sideways_scrolling()  # with large text too
    context.close()


def _luminance(rgb: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(v) for v in re.findall(r"\d+", rgb)[:3])
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_focus_ring_has_3_to_1_contrast_on_the_page_and_in_the_header(phone_page):
    """WCAG 1.4.11: the ring (outline) or its halo (box-shadow) must stand out at 3:1
    against what surrounds it, on the white page and on the blue header alike."""
    phone_page.goto("/")
    styles = """e => {
        const s = getComputedStyle(e);
        return {visible: e.matches(":focus-visible"), ring: s.outlineColor,
                width: parseFloat(s.outlineWidth), halo: s.boxShadow};
    }"""
    page_background = phone_page.evaluate("getComputedStyle(document.body).backgroundColor")
    header_background = phone_page.locator(".site-header").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    for target, background in [
        (phone_page.get_by_role("link", name="ホーム"), page_background),
        (phone_page.locator(".site-header .site-name"), header_background),
    ]:
        target.focus()
        phone_page.keyboard.press("Shift+Tab")  # focus moved by the keyboard: focus-visible
        phone_page.keyboard.press("Tab")
        focus = target.evaluate(styles)
        assert focus["visible"] and focus["width"] >= 2, focus
        halo = re.match(r"rgba?\([^)]*\)", focus["halo"] or "")
        best = max(
            contrast(focus["ring"], background),
            contrast(halo.group(0), background) if halo else 0,
        )
        assert best >= 3, (focus, background, best)
    assert contrast(focus["ring"], page_background) >= 3  # the ring alone, on white
