"""The site's name and public address, from settings (``SITE_NAME``, ``BASE_URL``).

One source of truth: pages, emails (the project's and allauth's), iCal feeds and their
UIDs, the CMS API and Wagtail's own Site record (kept in line by
``cms.services.site.site_settings_sync``) all read these rather than the host a request
happened to arrive on or Wagtail's placeholder ``localhost``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


def site_name() -> str:
    return settings.WAGTAIL_SITE_NAME


def base_url() -> str:
    """``https://points.example.jp`` (no trailing slash)."""
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def hostname() -> str:
    """The host of :func:`base_url`, without the port: ``points.example.jp``."""
    return urlsplit(base_url()).hostname or "localhost"


def port() -> int:
    """The port of :func:`base_url`, or the scheme's default (443 for https)."""
    parts = urlsplit(base_url())
    return parts.port or (443 if parts.scheme == "https" else 80)


def domain() -> str:
    """Host and port as written in :func:`base_url`: ``127.0.0.1:8000``."""
    return urlsplit(base_url()).netloc


def absolute_url(path: str) -> str:
    """``path`` (``/events/``) on the public address; a URL that is already absolute
    is returned as it is."""
    if not path or urlsplit(path).scheme:
        return path or base_url() + "/"
    return base_url() + (path if path.startswith("/") else "/" + path)


@dataclass(frozen=True)
class ConfiguredSite:
    """Quacks like ``django.contrib.sites``' Site for allauth's templates
    (``current_site.name``, ``current_site.domain``)."""

    name: str
    domain: str

    def __str__(self) -> str:
        return self.name


def configured_site() -> ConfiguredSite:
    return ConfiguredSite(name=site_name(), domain=domain())
