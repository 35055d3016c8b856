"""Finding English in the Japanese back office, as a reader of the page would.

``admin_pages`` walks what a signed-in person can reach from the rendered Wagtail
sidebar (every link in the main menu, its submenus and the account menu), and from each
listing the first "add" and the first "edit" link; ``english_words`` reads the text a
person sees on a page (its title, the visible text, screen-reader text, placeholders and
the labels of icon-only buttons) and returns the English words outside ``ALLOWED``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

#: Words that stay in Latin letters in a Japanese municipal office: proper names,
#: file formats, units and abbreviations people read as they are.
ALLOWED = frozenset(
    {
        "Wagtail",  # the product's name on its own logo and "Wagtail について" page
        "QR",
        "CSV",
        "XLSX",
        "Excel",
        "PDF",
        "TOTP",
        "ID",
        "URL",
        "pt",
        "LINE",
        "iCal",
        "API",
        "HTML",
        "SVG",
        "PNG",
        "JPEG",
        "JPG",
        "GIF",
        "WebP",
        "WEBP",
        "AVIF",
        "HEIC",
        "MB",
        "KB",
        "GB",
        "px",
        "E",  # Eメール
        "YYYY",  # the date format an import file uses (YYYY-MM-DD)
        "MM",
        "DD",
        "No",  # 受付No.
        "Tab",
        "Enter",
        "Esc",
        "Ctrl",
        "Shift",
        "Cmd",
        "Alt",
    }
)

#: What is data, not interface text: email addresses, URLs and host names, file names,
#: slugs and codes typed by the city (district and category codes), voucher codes and
#: reference numbers. They are removed before the words are counted.
DATA = [
    re.compile(r"\S+@\S+"),  # emails
    re.compile(r"https?://\S+"),
    re.compile(r"\b[\w.-]+\.(?:pdf|csv|xlsx|docx|png|jpe?g|gif|svg|txt)\b", re.I),
    re.compile(r"\b(?:localhost|127\.0\.0\.1)(?::\d+)?\S*"),
    re.compile(r"(?<![A-Za-z])/[\w/.-]*"),  # paths shown as text (page URLs in listings)
    re.compile(r"\b[A-Z0-9]{4}(?:-[A-Z0-9]{4}){3}\b"),  # voucher codes
    re.compile(r"\b[AB][3-5]\b"),  # paper sizes (A4)
]

WORD = re.compile(r"[A-Za-z][A-Za-z_'’]*")

PAGE_TEXT_JS = """
() => {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  // A closed <select> shows its chosen option only; <code>/<kbd> hold what people type
  // (column names of an import file, keys), not interface words.
  const hidden = [...document.querySelectorAll('select, code, kbd, samp')];
  const display = hidden.map((el) => el.style.display);
  const parts = [document.title];
  for (const el of document.querySelectorAll('select')) {
    if (visible(el) && el.selectedOptions.length) parts.push(el.selectedOptions[0].text);
  }
  hidden.forEach((el) => { el.style.display = 'none'; });
  parts.push(document.body.innerText);
  hidden.forEach((el, i) => { el.style.display = display[i]; });
  for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    if (visible(el)) parts.push(el.getAttribute('placeholder'));
  }
  for (const el of document.querySelectorAll('button, a, [role="button"]')) {
    // An icon-only control is read by its label; its label is its only text.
    if (visible(el) && !el.innerText.trim() && el.getAttribute('aria-label')) {
      parts.push(el.getAttribute('aria-label'));
    }
  }
  return parts.join('\\n');
}
"""


def data_words() -> frozenset[str]:
    """Identifiers the city typed, shown as they are: district and help-category
    codes, earning rules' activity kinds, the project's page types' internal names
    (Wagtail's page-types report), insurance plans and certificate numbers, training
    titles ("AED") and the mark that hides small counts in open data."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import District
    from points.models import EarningRule
    from volunteers.models import HelpCategory, InsuranceEnrolment, TrainingSession

    words: set[str] = set()
    words.update(District.objects.values_list("code", flat=True))
    words.update(HelpCategory.objects.values_list("code", flat=True))
    for kind in EarningRule.objects.values_list("activity_kind", flat=True):
        words.update(re.split(r"[-\s]", kind))
    for content_type in ContentType.objects.filter(app_label="cms"):
        words.update((content_type.app_label, content_type.model))
    typed = [
        *InsuranceEnrolment.objects.values_list("plan", "certificate_number"),
        *TrainingSession.objects.values_list("title", "place"),
        (settings.OPEN_DATA_SUPPRESSED_MARK,),
    ]
    for text in (text for row in typed for text in row):
        words.update(re.findall(r"[A-Za-z]+", text))
    return frozenset(word.lower() for word in words if word)


def import_columns() -> frozenset[str]:
    """The header row a spreadsheet import expects (``name_kana``, ``active``...):
    what people type into their file, allowed on the import pages only."""
    from accounts.resources import DistrictResource
    from points.resources import ShopResource
    from volunteers.resources import VolunteerResource

    return frozenset(
        field.column_name.lower()
        for resource in (DistrictResource, ShopResource, VolunteerResource)
        for field in resource.fields.values()
    )


def english_words(text: str, data_words: frozenset[str] = frozenset()) -> list[str]:
    """The English words in ``text`` that are neither allowed nor data."""
    for pattern in DATA:
        text = pattern.sub(" ", text)
    words = []
    for word in WORD.findall(text):
        if word in ALLOWED or word.lower() in data_words:
            continue
        words.append(word)
    return words


def page_english(page, data_words: frozenset[str]) -> list[str]:
    return english_words(page.evaluate(PAGE_TEXT_JS), data_words)


def _admin_path(href: str | None) -> str | None:
    if not href:
        return None
    parts = urlsplit(href)
    if parts.netloc and parts.netloc not in ("127.0.0.1", "localhost") and ":" not in parts.netloc:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not path.startswith("/admin/"):
        return None
    if "logout" in path or "export=" in path or path.endswith((".csv", ".xlsx")):
        return None
    return path


def menu_paths(page) -> list[str]:
    """Every admin link in the rendered sidebar: main menu, submenus (rendered, hidden
    until opened), the page explorer and the account menu."""
    hrefs = page.eval_on_selector_all(
        "aside.sidebar a[href], #wagtail-sidebar a[href], [data-wagtail-sidebar] a[href]",
        "els => els.map(e => e.getAttribute('href'))",
    )
    if page.locator(".sidebar-page-explorer-item").count():
        hrefs.append("/admin/pages/")
    paths = []
    for href in hrefs:
        path = _admin_path(href)
        if path and path not in paths:
            paths.append(path)
    return paths


#: From a listing, the links a person follows next: the first "add" and the first
#: "edit" (or page explorer "child pages") link in the main content.
NEXT_LINKS = [
    "main header a[href$='/add/'], main a.button[href$='/add/'], main a[href*='/add/']",
    "main table a[href*='/edit/'], main a[href*='/edit/']",
    "main table a[href*='/admin/pages/'][href$='/']",
]


def next_paths(page) -> list[str]:
    paths = []
    for selector in NEXT_LINKS:
        links = page.locator(selector)
        for index in range(min(links.count(), 3)):
            path = _admin_path(links.nth(index).get_attribute("href"))
            if path and "/delete/" not in path:
                paths.append(path)
                break
    return paths


def walk_admin(page, data_words: frozenset[str], *, limit: int = 150):
    """Visit every menu page and one level below; yield (path, English words)."""
    columns = import_columns()
    page.goto("/admin/")
    queue = menu_paths(page)
    seen: set[str] = set()
    menu = set(queue)
    visited = 0
    while queue and visited < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(path)
        visited += 1
        if response is None or response.status >= 400:
            yield path, [f"HTTP {response.status if response else '?'}"]
            continue
        page.wait_for_load_state("networkidle")
        allowed = data_words | columns if "/import/" in path else data_words
        yield path, page_english(page, allowed)
        if path in menu:
            queue[0:0] = [p for p in next_paths(page) if p not in seen]
