"""Input no view should ever see: NUL characters (PostgreSQL refuses them in text, so
they became 500s), JSON nested deeper than :data:`settings.JSON_MAX_DEPTH` (Python's
parser recurses: a 100,000-deep array was a ``RecursionError``).

Used by :class:`core.middleware.BadInputMiddleware` for every request, and by
:class:`JSONParser`, the API's parser, for the bodies it reads itself.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

#: Stable error codes and what they say.
INVALID_CHARACTERS = "invalid_characters"
JSON_TOO_DEEP = "json_too_deep"
REQUEST_TOO_LARGE = "request_too_large"
INVALID_PARAMETER = "invalid_parameter"
NOT_FOUND = "not_found"
MESSAGES = {
    NOT_FOUND: _("There is no such page."),
    INVALID_PARAMETER: _("A value in the request is not valid."),
    INVALID_CHARACTERS: _("The request contains characters that are not allowed."),
    JSON_TOO_DEEP: _("The request's data is nested too deeply."),
    REQUEST_TOO_LARGE: _("The request is too large."),
}


class BadInput(Exception):
    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def json_depth_exceeded(raw: str, limit: int) -> bool:
    """Whether ``raw`` nests arrays/objects deeper than ``limit``, judged without
    parsing it (brackets inside strings do not count)."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", raw)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _has_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def check_json(raw: bytes) -> Any:
    """Parse a JSON body, raising :class:`BadInput` for one nested too deep or holding
    a NUL; ``ValueError`` for one that is not JSON (left to the view to answer)."""
    if b"\x00" in raw:
        raise BadInput(INVALID_CHARACTERS)
    text = raw.decode("utf-8")
    if json_depth_exceeded(text, settings.JSON_MAX_DEPTH):
        raise BadInput(JSON_TOO_DEEP)
    data = json.loads(text)
    if _has_nul(data):
        raise BadInput(INVALID_CHARACTERS)
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the depth and NUL checks: a ``parse_error``-style 400
    with the stable codes above instead of a ``RecursionError``."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return check_json(raw)
        except BadInput as error:
            raise ParseError(MESSAGES[error.code], code=error.code) from None
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(_("The request's JSON could not be read.")) from error
