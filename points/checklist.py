"""The points app's lines of the go-live checklist (reads only): earning rules, the
voucher exchange settings and the shops."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _
from wagtail.models import ModelLogEntry

from core.navigation import Check
from points.models import EarningRule, ExchangeSettings, Shop


def earning_rules_check() -> Check:
    count = EarningRule.objects.filter(active=True).count()
    return Check(done=count > 0, count=count)


def exchange_settings_check() -> Check:
    """Done once someone saved the settings page: the row itself is created with the
    shipped defaults by the first page that reads it, so its existence proves nothing."""
    saved = ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ExchangeSettings),
        action__in=["wagtail.edit", "wagtail.create"],
    ).exists()
    config = ExchangeSettings.objects.first() or ExchangeSettings()
    note = _("%(points)s points per voucher of %(yen)s yen, valid %(days)s days.") % {
        "points": config.voucher_points,
        "yen": config.face_value_yen,
        "days": config.valid_days,
    }
    if not saved:
        note = _("Not saved yet; defaults: %(values)s") % {"values": note}
    return Check(done=saved, count=1 if saved else 0, note=note)


def shops_check() -> Check:
    count = Shop.objects.filter(active=True).count()
    return Check(done=count > 0, count=count)
