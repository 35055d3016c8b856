"""Every public, /me/, /shop/, host (kiosk, check-ins, poster), scan and coordinator
board page, on a 320 px wide screen, as each role would open it: axe-core (from the
npm registry, pinned in package-lock.json, installed by ``make axe``) finds no serious
or critical violation, and the page never scrolls sideways (WCAG 1.4.10 reflow).

Run twice: as the pages come, and with both display preferences on (large text and
high contrast, turned on with their own buttons), so that axe checks the colours of
the high-contrast theme too. axe files text whose colour equals its background under
"incomplete" (it might be hidden on purpose); here that is a failure as well: it is
how a button's text vanishes when a theme sets both colours to the same value.

Which pages: every URL pattern under /me/, /shop/, /places/ and /scan/ is listed in
``OWN_PAGES`` as visited or as left out with the reason (so a new page cannot be
forgotten), every Wagtail page type that has a live page, the public list of
participating shops (/shops/), and the sign-in pages.
Set AXE_SCREENSHOTS=1 to keep a screenshot of every page in test-results/axe/ (a
failing page always leaves one there).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from wagtail.models import Page

from accounts.models import User
from cms.models import ProposalCallPage
from core.formats import fiscal_year
from points.models import Voucher
from points.selectors import voucher_code
from tests.browser.conftest import RESULTS
from tests.browser.signin import sign_in
from tests.browser.test_back_office_login import demo_logins  # noqa: F401 (a fixture)
from tests.conftest import need_service
from volunteers.models import Place, Resident, TrainingSession
from volunteers.selectors.places import card_token, place_token
from volunteers.services.places import card_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
NARROW = {"width": 320, "height": 720}
SHOTS = RESULTS / "axe"

#: Every named URL under the volunteer, shop, host and scan prefixes: the role that
#: opens it in this test, or why it is not a page to check.
OWN_PAGES = {
    "my-home": "volunteer",
    "my-activity": "volunteer",
    "my-card": "volunteer",
    "my-offers": "volunteer",
    "my-pledge": "volunteer",
    "my-assignments": "volunteer",
    "my-assignment": "volunteer",
    "my-profile": "volunteer",
    "my-points": "volunteer",
    "my-vouchers": "volunteer",
    "my-vouchers-print": "volunteer",
    "my-points-passbook": "volunteer",
    "my-proposals": "volunteer",
    "my-requests": "resident",
    "my-request": "resident",
    "my-places": "host",
    "place-checkins": "host",
    "place-kiosk": "host",
    "place-poster": "host",
    "scan": "volunteer and host",
    "shop-redeem": "shop",
    "shop-redeem-code": "shop",
    "shop-redeem-confirm": "shop (the page after accepting a voucher)",
    "shop-history": "shop",
    "shop-statements": "shop",
    "shop-statement": "shop",
    "my-offer-answer": "skipped: POST only, answers with a redirect",
    "my-assignment-action": "skipped: POST only, answers with a redirect",
    "my-away": "skipped: POST only, answers with a redirect",
    "my-away-remove": "skipped: POST only, answers with a redirect",
    "my-proposal-withdraw": "skipped: POST only, answers with a redirect",
    "my-points-notices": "skipped: the expiry notices box's POST target (a GET goes to my-points)",
    "my-line-retry": "skipped: the LINE card's POST target on /me/ (a GET goes back to my-home)",
    "shop-statement-export": "skipped: a CSV or XLSX download, not a page",
}
OWN_PREFIXES = ("me/", "shop/", "places/", "scan/")

#: The kiosk reloads itself every few seconds on purpose: its code must always be one
#: the server accepts (WCAG 2.2.1's real-time exception); axe's meta-refresh rule
#: cannot know that, so it is off there and only there.
RULES_OFF = {"/kiosk/": ["meta-refresh"]}

AXE_RUN = """async (disabled) => {
  const rules = Object.fromEntries(disabled.map((id) => [id, {enabled: false}]));
  const result = await axe.run(document, {rules, resultTypes: ['violations', 'incomplete']});
  const serious = result.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  const invisible = result.incomplete.filter((v) => v.id === 'color-contrast').flatMap(
    (v) => v.nodes.filter((n) => n.any.some((c) => c.data && c.data.messageKey === 'equalRatio')));
  return [
    ...serious.map((v) => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map(
      (n) => n.target.join(' ')).join(', ')} (${v.help})`),
    ...invisible.map(
      (n) => `serious color-contrast: ${n.target.join(' ')} is coloured as its background`),
  ];
}"""
#: Elements that stick out past the right edge of the screen, other than inside a box
#: that scrolls sideways on its own (a wide table in its .table-scroll region). This
#: catches what the page's scrollWidth misses: content cut off by a container that
#: hides its overflow (the back office's main column does).
PAST_THE_EDGE = """() => {
  const scrolls = (e) => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  return [...document.querySelectorAll('body *')].filter((e) => {
    const box = e.getBoundingClientRect();
    return box.width > 1 && box.height > 1 && box.right > innerWidth + 0.5
      && getComputedStyle(e).visibility !== 'hidden' && !scrolls(e);
  }).slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`);
}"""


def own_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern).lstrip("^")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith(OWN_PREFIXES):
                names.add(pattern.name)

    walk(get_resolver().url_patterns)
    return names


class Audit:
    """Visits pages in one browser context and collects what is wrong with each."""

    def __init__(self, page, label: str):
        self.page, self.label, self.problems, self.visited = page, label, [], []
        self.axe = AXE_JS.read_text()

    def check(self, url: str | None = None, *, status: int = 200) -> None:
        if url is not None:
            response = self.page.goto(url)
            assert response.status == status, (url, response.status)
        self.page.wait_for_load_state()
        parts = urlsplit(self.page.url)
        where = parts.path + (f"?{parts.query}" if parts.query else "")
        self.visited.append(where)
        problems = []
        scroll = self.page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        if scroll[0] > scroll[1]:
            problems.append(f"scrolls sideways: {scroll[0]} px wide")
        past = self.page.evaluate(PAST_THE_EDGE)
        if past:
            problems.append(f"past the right edge: {past}")
        if not self.page.evaluate("typeof window.axe === 'object'"):
            self.page.evaluate(self.axe)
        disabled = [rule for part, rules in RULES_OFF.items() if part in where for rule in rules]
        problems += self.page.evaluate(AXE_RUN, disabled)
        keep = os.environ.get("AXE_SCREENSHOTS") == "1"
        if problems or keep:
            SHOTS.mkdir(parents=True, exist_ok=True)
            # Named by the URL's name, never the URL: it may hold a voucher code or a token.
            name = f"{self.label}-{len(self.visited):02d}-{resolve(parts.path).url_name or 'page'}"
            self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        self.problems += [f"{self.label} {where}: {problem}" for problem in problems]


def turn_on_display_preferences(page, *, signed_in: bool) -> None:
    """With the buttons beside 文字を大きく, as a visitor would (plain forms, no script):
    in the public site's navigation, or in the footer of the signed-in pages."""
    page.goto("/me/" if signed_in else "/")
    for name in ("文字を大きく", "背景を黒に"):
        page.get_by_role("button", name=name).click()
        page.wait_for_load_state()
        assert page.get_by_role("button", name=name).get_attribute("aria-pressed") == "true"
    assert page.evaluate("document.documentElement.className") == "large-text high-contrast"


DISPLAYS = {"standard": False, "large-text+high-contrast": True}


@pytest.mark.parametrize("display", DISPLAYS)
def test_every_page_passes_axe_and_fits_320_px(chromium, live_server, demo_logins, display):  # noqa: F811
    if not AXE_JS.exists():
        need_service(f"axe-core is not installed at {AXE_JS}: run `make axe` (npm ci)")
    missing = own_url_names() - set(OWN_PAGES)
    assert not missing, f"add these pages to OWN_PAGES (visited by a role, or why not): {missing}"
    password, secrets = demo_logins
    problems: list[str] = []
    visited: list[str] = []

    def audit(label: str, email: str | None = None, secret: str | None = None) -> Audit:
        context = chromium.new_context(
            locale="ja-JP", timezone_id="Asia/Tokyo", viewport=NARROW, base_url=live_server.url
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        if email:
            sign_in(page, email, password, secret=secret)
        if DISPLAYS[display] and label != "coordinator":  # the back office has its own
            turn_on_display_preferences(page, signed_in=bool(email))
        return Audit(page, f"{display}-{label}")

    def done(run: Audit) -> None:
        problems.extend(run.problems)
        visited.extend(run.visited)
        run.page.context.close()

    # Anonymous: one live page of every page type, search, and the sign-in pages.
    run = audit("anonymous")
    by_type: dict[type, str] = {}
    for page in Page.objects.live().specific().exclude(depth=1):
        by_type.setdefault(type(page), page.url)
    assert len(by_type) >= 7, by_type  # home, districts, association, events, event, news, …
    for url in by_type.values():
        run.check(url)
    call_url = ProposalCallPage.objects.live().first().url
    for url in (
        f"{call_url}hearings/",  # the public notice of hearings (a route of the call)
        f"{call_url}results/",  # the call's published results (or that they are not yet)
        "/search/?q=%E8%B2%B7%E3%81%84%E7%89%A9",  # 買い物
        "/shops/",  # 加盟店一覧 (points: public, outside the /me/ and /shop/ prefixes)
        "/accounts/login/",
        "/accounts/login/code/",
        "/accounts/signup/",
        "/accounts/password/reset/",
    ):
        run.check(url)
    done(run)

    # A volunteer: every /me/ page, the proposal form, a place's poster scanned, one's
    # own voucher scanned (the information page), the account settings.
    volunteer = User.objects.get(email="volunteer@demo.example.jp")
    run = audit("volunteer", volunteer.email)
    for url in (
        "/me/",
        "/me/activity/",
        "/me/card/",
        "/me/offers/",
        "/me/pledge/",
        "/me/assignments/",
        "/me/profile/",
        "/me/points/",
        "/me/vouchers/",
        "/me/vouchers/print/",
        "/me/points/passbook/",
        "/me/proposals/",
        f"{ProposalCallPage.objects.live().first().url}submit/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/3rdparty/",  # LINE linking (says LINE is not set up, without it)
    ):
        run.check(url)
    run.page.goto("/me/assignments/")
    run.page.locator(
        "main a[href^='/me/assignments/']:not([href='/me/assignments/'])"
    ).first.click()
    run.check()
    salon = Place.objects.get(presence=Place.Presence.HOST)
    run.check(f"/scan/{place_token(salon)}/")
    issued = Voucher.objects.filter(owner=volunteer, status=Voucher.Status.ISSUED).first()
    run.check(f"/shop/redeem/{voucher_code(issued)}/")
    done(run)

    # A shop clerk: redeem by code, the confirmation, the receipt, history, statements.
    run = audit("shop", "shop@demo.example.jp")
    run.check("/shop/redeem/")
    run.check(f"/shop/redeem/{voucher_code(issued)}/")
    if run.page.get_by_role("button", name="確認へ進む").count():  # a clerk of two shops
        run.page.locator("input[name=shop]").first.check()
        run.page.get_by_role("button", name="確認へ進む").click()
        run.check()
    run.page.get_by_role("button", name="この商品券を受け付ける").click()
    run.check()
    assert run.page.get_by_role("heading", name="商品券を受け付けました").is_visible()
    run.check("/shop/history/")
    run.check("/shop/statements/")
    run.page.locator(
        "main a[href^='/shop/statements/']:not([href='/shop/statements/'])"
    ).first.click()
    run.check()
    done(run)

    # A resident whom the centre linked to their record: their own requests.
    resident = User.objects.get(email="resident@demo.example.jp")
    record = Resident.objects.filter(requests__isnull=False).distinct().first()
    Resident.objects.filter(pk=record.pk).update(user=resident)
    run = audit("resident", resident.email)
    run.check("/me/requests/")
    run.page.locator("main a[href^='/me/requests/']:not([href='/me/requests/'])").first.click()
    run.check()
    done(run)

    # Host staff of the places: their list, confirming check-ins, the kiosk, the
    # poster, and a volunteer's card scanned at the door.
    run = audit("host", "host@demo.example.jp")
    kiosk = Place.objects.get(presence=Place.Presence.KIOSK)
    run.check("/me/places/")
    run.check(f"/places/{salon.pk}/checkins/")
    run.check(f"/places/{kiosk.pk}/kiosk/")
    run.check(f"/places/{salon.pk}/poster/")
    run.check(f"/scan/{card_token(card_for(volunteer))}/")
    done(run)

    # The coordinator's board in the back office (Wagtail's own styles, once).
    if not DISPLAYS[display]:
        email = "coordinator@demo.example.jp"
        run = audit("coordinator", email, secrets[email])
        help_request = record.requests.first()
        for url in (
            "/admin/aid/",
            f"/admin/aid/residents/{record.pk}/",
            f"/admin/aid/residents/{record.pk}/intake/",
            f"/admin/aid/residents/{record.pk}/consent/",
            f"/admin/aid/requests/{help_request.pk}/",
            f"/admin/aid/volunteers/{volunteer.pk}/",
            f"/admin/aid/volunteers/{volunteer.pk}/pledge/print/",
            "/admin/activities/review/",
            "/admin/aid/owed/",
            "/admin/aid/payouts/",
            "/admin/aid/insurance/",
            f"/admin/aid/insurance/renewal/?fiscal_year={fiscal_year(timezone.localdate()) + 1}",
            "/admin/aid/insurance/enrol/",
            f"/admin/aid/training/{TrainingSession.objects.order_by('pk').first().pk}/attendance/",
            "/admin/reports/annual/",  # the annual report (centre sections, charts)
        ):
            run.check(url)
        done(run)

    seen = {resolve(urlsplit(url).path).url_name for url in visited}
    unvisited = {name for name, who in OWN_PAGES.items() if not who.startswith("skipped")} - seen
    assert not unvisited, unvisited
    assert not problems, "\n".join(problems)


def test_high_contrast_on_screen_is_black_on_white_on_paper(phone_page, live_server):
    """The toner and the QR codes' quiet zone: print.css undoes the theme on paper."""
    phone_page.context.add_cookies([{"name": "contrast", "value": "high", "url": live_server.url}])
    phone_page.goto("/accounts/login/")
    colours = """() => [getComputedStyle(document.body).backgroundColor,
      getComputedStyle(document.body).color,
      getComputedStyle(document.querySelector('main a')).color]"""
    assert phone_page.evaluate(colours) == [
        "rgb(0, 0, 0)",
        "rgb(255, 255, 255)",
        "rgb(255, 255, 0)",
    ]
    phone_page.emulate_media(media="print")
    assert phone_page.evaluate(colours) == ["rgb(255, 255, 255)", "rgb(0, 0, 0)", "rgb(0, 0, 0)"]
    assert phone_page.locator(".display-options").is_hidden()
