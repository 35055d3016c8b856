"""What the platform layer shows of the apps without knowing them: the links of the
"my pages" menu, the page each role lands on after signing in, and the lines of the
go-live checklist on the back office's dashboard.

The apps register their own entries from ``AppConfig.ready()``; ``core`` and
``accounts`` only read the registry, so they name no app URL. Registering the same URL
name again replaces the entry (``ready()`` may run more than once in tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse


@dataclass(frozen=True)
class MeLink:
    url_name: str
    label: str
    order: int
    #: URL names for which this link is the current page (besides its own).
    also_current: tuple[str, ...] = ()
    visible: Callable[[HttpRequest], bool] | None = None


@dataclass(frozen=True)
class Landing:
    role: str
    url_name: str
    priority: int


@dataclass(frozen=True)
class Check:
    """What a go-live checklist line found: whether it is ``done``, how many things
    it counted, and an optional ``note`` (what is missing, or the values to review)."""

    done: bool
    count: int
    note: str = ""


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    order: int
    check: Callable[[], Check]
    url: Callable[[], str]


_me_links: dict[str, MeLink] = {}
_landings: dict[str, Landing] = {}
_checklist: dict[str, ChecklistItem] = {}


def register_me_link(
    url_name: str,
    label: str,
    order: int,
    *,
    also_current: tuple[str, ...] = (),
    visible: Callable[[HttpRequest], bool] | None = None,
) -> None:
    """Add a link to the "my pages" menu, placed by ``order`` (lowest first).

    ``label`` is a lazy translation; ``visible(request)``, when given, hides the link
    for the requests it returns False for.
    """
    _me_links[url_name] = MeLink(url_name, label, order, tuple(also_current), visible)


def register_landing(role: str, url_name: str, priority: int) -> None:
    """Make ``url_name`` the landing page of users in the role group ``role``; of a
    user's roles, the one registered with the highest ``priority`` wins."""
    _landings[role] = Landing(role, url_name, priority)


def me_links(request: HttpRequest) -> list[dict]:
    """The menu for this request: each visible link's ``url``, ``label`` and whether
    it is the ``current`` page, in order."""
    match = getattr(request, "resolver_match", None)
    here = match.url_name if match else None
    links = sorted(_me_links.values(), key=lambda link: (link.order, link.url_name))
    return [
        {
            "url": reverse(link.url_name),
            "label": link.label,
            "current": here is not None and here in (link.url_name, *link.also_current),
        }
        for link in links
        if link.visible is None or link.visible(request)
    ]


def landing_url_name(user) -> str | None:
    """The URL name registered for the user's highest-priority role, if any."""
    found = [landing for landing in _landings.values() if user.has_role(landing.role)]
    if not found:
        return None
    return max(found, key=lambda landing: landing.priority).url_name


def register_checklist_item(
    key: str, label: str, order: int, *, check: Callable[[], Check], url: str | Callable[[], str]
) -> None:
    """Add a line to the go-live checklist, placed by ``order`` (lowest first).

    ``check()`` is the app's read (a selector) returning a :class:`Check`; ``url`` is the
    URL name of the admin page where the thing is set, or a function returning the URL
    (for pages that need arguments). ``label`` is a lazy translation.
    """
    link = url if callable(url) else (lambda: reverse(url))
    _checklist[key] = ChecklistItem(key, label, order, check, link)


def go_live_checklist() -> list[dict]:
    """Every registered line, in order: ``key``, ``label``, ``done``, ``count``,
    ``note`` and the ``url`` where it is set. One read per line."""
    lines = []
    for item in sorted(_checklist.values(), key=lambda item: (item.order, item.key)):
        found = item.check()
        lines.append(
            {
                "key": item.key,
                "label": item.label,
                "done": found.done,
                "count": found.count,
                "note": found.note,
                "url": item.url(),
            }
        )
    return lines
