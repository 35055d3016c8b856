"""Normalising and validating furigana (フリガナ) readings.

Readings are stored in full-width katakana so that sorting and searching by kana work
whatever the person typed: hiragana, half-width katakana (ｶﾀｶﾅ) or extra spaces.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db.models import F, Q, Value
from django.db.models.functions import Replace
from django.db.models.lookups import Contains
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


def _squeezed(field: str):
    """``field`` with its spaces (ASCII and full-width) removed, for comparing names
    whatever spacing was typed."""
    return Replace(Replace(F(field), Value(" "), Value("")), Value("\u3000"), Value(""))


def name_search_q(
    query: str,
    *,
    names: tuple[str, ...] = ("full_name",),
    kanas: tuple[str, ...] = ("full_name_kana",),
    others: tuple[str, ...] = (),
) -> Q:
    """The one way every back-office list finds people by name: ``query`` in any of
    the ``names`` fields (kanji or latin, case-insensitive), or, read as kana, in any
    of the ``kanas`` readings, the same normalisation as the coordinators' board
    (hiragana, katakana and half-width katakana all find ヤマダ タロウ), or in any of
    the ``others`` fields (email, address). Spaces are ignored (やまだたろう finds
    ヤマダ タロウ). An empty query matches everyone."""
    query = (query or "").strip()
    if not query:
        return Q()
    squeezed = "".join(query.split())
    condition = Q()
    for field in names:
        condition |= Q(Contains(_squeezed(field), squeezed)) | Q(**{f"{field}__icontains": query})
    kana = "".join(normalize_kana(query).split())
    if kana and _KATAKANA_RE.match(kana):
        for field in kanas:
            condition |= Q(Contains(_squeezed(field), kana))
    for field in others:
        condition |= Q(**{f"{field}__icontains": query})
    return condition
