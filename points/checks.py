"""System checks for the points app, run by ``manage.py check --deploy``."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def voucher_code_key_check(app_configs, **kwargs) -> list[Error]:
    """Production needs its own ``VOUCHER_CODE_KEY``: falling back to ``SECRET_KEY``
    ties every voucher to the session key, so rotating that after a leak would make
    every issued voucher unreadable and unredeemable."""
    key = getattr(settings, "VOUCHER_CODE_KEY", "")
    if not key:
        return [
            Error(
                "VOUCHER_CODE_KEY is not set.",
                hint="Set it from the environment (50+ random characters, not SECRET_KEY).",
                id="points.E001",
            )
        ]
    if len(key) < 50 or key == settings.SECRET_KEY:
        return [
            Error(
                "VOUCHER_CODE_KEY is too short or equal to SECRET_KEY.",
                hint="Use 50+ random characters of its own.",
                id="points.E002",
            )
        ]
    return []
