"""Keep voucher codes and search terms out of the logs.

A voucher's QR code opens ``/shop/redeem/<code>/`` (the code is the voucher), and the
back office's search boxes send ``?q=`` (residents' names, phone numbers). Both reach
log lines: Django's ``Not Found: /shop/redeem/...`` warnings, ``runserver``'s request
lines, gunicorn's access log. :func:`mask` replaces them with ``***``:

* :class:`MaskPersonalData`, a logging filter on the handlers in ``LOGGING``
  (``config.settings``), masks every record that reaches them;
* :class:`GunicornLogger` masks gunicorn's access log when one is kept
  (``gunicorn --logger-class core.logmask.GunicornLogger --access-logfile -``).
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as _GunicornLogger

MASK = "***"
#: Query parameters whose values are personal or secret: search terms and the kiosk
#: code of the minute.
MASKED_PARAMETERS = ("q", "code")

_KEYS = "|".join(MASKED_PARAMETERS)
_PARAMETER = re.compile(rf"(?P<key>(?:^|[?&;\s])(?:{_KEYS})=)[^&;#\s\"']*")
# Any segment after /shop/redeem/ except the fixed "confirm" page.
_VOUCHER_PATH = re.compile(r"(?P<prefix>/shop/redeem/)(?!confirm/)[^/?#\s\"']+")


def mask(text: str) -> str:
    """``text`` with voucher codes in ``/shop/redeem/<code>/`` and the values of
    ``q=`` and ``code=`` query parameters replaced by ``***``."""
    if "=" not in text and "/shop/redeem/" not in text:
        return text
    text = _VOUCHER_PATH.sub(rf"\g<prefix>{MASK}", text)
    return _PARAMETER.sub(rf"\g<key>{MASK}", text)


class MaskPersonalData(logging.Filter):
    """Masks the record's formatted message (and never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the formatter's to report
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger, with the request line, path, query and referrer masked in
    its access log."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: mask(value) if isinstance(value, str) else value for key, value in atoms.items()
        }
