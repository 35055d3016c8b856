"""Normalising and validating furigana (フリガナ) readings.

Readings are stored in full-width katakana so that sorting and searching by kana work
whatever the person typed: hiragana, half-width katakana (ｶﾀｶﾅ) or extra spaces.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096
_KANA_OFFSET = 0x60
_KATAKANA_RE = re.compile(r"^[\u30A1-\u30FA\u30FC\u30FB ]+$")


def normalize_kana(value: str) -> str:
    """Return ``value`` as full-width katakana with single ASCII spaces.

    NFKC turns half-width katakana into full-width (and full-width spaces into
    ordinary ones); hiragana is shifted into the katakana block.
    """
    value = unicodedata.normalize("NFKC", value or "")
    value = "".join(
        chr(ord(ch) + _KANA_OFFSET) if _HIRAGANA_START <= ord(ch) <= _HIRAGANA_END else ch
        for ch in value
    )
    return " ".join(value.split())


def validate_kana(value: str) -> None:
    if value and not _KATAKANA_RE.match(normalize_kana(value)):
        raise ValidationError(
            _("Enter the reading in katakana or hiragana (e.g. ヤマダ タロウ)."),
            code="invalid_kana",
        )
