"""Search that finds Japanese words, on the database backend of PostgreSQL and SQLite.

Japanese has no spaces between words, and both databases' full-text search split
text on spaces: a page saying 買い物のお手伝い was one "word", so 買い物 found nothing.
Instead of a dictionary tokenizer (MeCab, Sudachi: a dictionary of 50-100 MB to
install and keep), text is cut into overlapping two-character pieces (bigrams), the
method of the CJK analysers of Lucene and Elasticsearch:

* indexed text: each run of kanji and kana becomes its bigrams (買い物の → 買い い物 物の),
  followed by every character of the text once (so a one-character query finds it);
  runs of Latin letters and digits stay words;
* a query: each run becomes the phrase of its bigrams (買い物 → "買い い物"), which the
  index matches only where those bigrams stand next to each other: the phrase matches
  exactly where the run occurs as a substring; all runs of all words must occur.
  Words written in kanji in one text and kana in another (ゴミ出し, ごみだし) do not
  meet: that needs a dictionary's readings.

Both sides are normalised first: NFKC (half-width ｻﾛﾝ and full-width ＱＲ become サロン
and qr), lower case, and katakana as hiragana (サロン and さろん match each other).

:func:`index_fields` wraps a model's ``search_fields``; :data:`SearchBackend` is the
``WAGTAILSEARCH_BACKENDS`` backend (the database one, with queries turned into
phrases). After changing either, rebuild the index: ``manage.py update_index``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from django.db.models import Q
from modelsearch.backends.database import SearchBackend as database_backend
from modelsearch.query import And, Phrase, PlainText
from wagtail.search import index

_KANA_OFFSET = ord("ァ") - ord("ぁ")
_CJK = "\u3041-\u3096\u30a1-\u30fa\u30fc\u3005\u3006\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[0-9a-z]+")


def normalize(text: str) -> str:
    """NFKC, lower case, katakana as hiragana."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(chr(ord(char) - _KANA_OFFSET) if "ァ" <= char <= "ヶ" else char for char in text)


def _runs(text: str) -> list[str]:
    return _RUN.findall(normalize(text))


def _is_cjk(run: str) -> bool:
    return not run[0].isascii()


def _bigrams(run: str) -> list[str]:
    if not _is_cjk(run) or len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_text(text: str) -> str:
    """The text as the index stores it: bigrams in order, then each character once."""
    runs = _runs(text)
    pieces = [piece for run in runs for piece in _bigrams(run)]
    singles = dict.fromkeys(char for run in runs if _is_cjk(run) for char in run)
    return " ".join([*pieces, *singles])


def to_query(query):
    """A query string as a search query: each run of kana and kanji the phrase of its
    bigrams, each run of letters and digits a word, all of them required (18歳 is 18
    and 歳). Anything that is not a string passes unchanged; a string without a
    letter, digit or kana becomes ``""`` (no results)."""
    if not isinstance(query, str):
        return query
    parts = []
    for run in _runs(query):
        terms = _bigrams(run)
        parts.append(PlainText(terms[0]) if len(terms) == 1 else Phrase(" ".join(terms)))
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else And(parts)


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return " ".join(_as_text(item) for item in value)
    if isinstance(value, dict):
        return " ".join(_as_text(item) for item in value.values())
    return str(value)


def _kana_variants(word: str) -> set[str]:
    word = unicodedata.normalize("NFKC", word)
    hiragana = normalize(word)
    katakana = "".join(
        chr(ord(char) + _KANA_OFFSET) if "ぁ" <= char <= "ゖ" else char for char in hiragana
    )
    return {word, hiragana, katakana}


def text_search_q(query: str, fields) -> Q:
    """For lists searched in the database (not the index): every word of ``query`` in
    one of ``fields`` (case-insensitive substring), as typed after NFKC, as hiragana or
    as katakana, so サロン, さろん and ｻﾛﾝ find each other. An empty query matches
    everything."""
    condition = Q()
    for word in (query or "").split():
        any_field = Q()
        for variant in _kana_variants(word):
            for field in fields:
                any_field |= Q(**{f"{field}__icontains": variant})
        condition &= any_field
    return condition


class JapaneseSearchField(index.SearchField):
    def get_value(self, obj):
        return index_text(_as_text(super().get_value(obj)))


class JapaneseAutocompleteField(index.AutocompleteField):
    def get_value(self, obj):
        return index_text(_as_text(super().get_value(obj)))


def index_fields(fields: list) -> list:
    """``search_fields`` with every text field indexed as :func:`index_text`; filter
    fields and related fields stay as they are."""
    wrapped = []
    for field in fields:
        if type(field) is index.SearchField:
            field = JapaneseSearchField(field.field_name, boost=field.boost, **field.kwargs)
        elif type(field) is index.AutocompleteField:
            field = JapaneseAutocompleteField(field.field_name, **field.kwargs)
        wrapped.append(field)
    return wrapped


class _JapaneseQueries:
    def search(self, query, model_or_queryset, *args, **kwargs):
        return super().search(to_query(query), model_or_queryset, *args, **kwargs)

    def autocomplete(self, query, model_or_queryset, *args, **kwargs):
        return super().autocomplete(to_query(query), model_or_queryset, *args, **kwargs)


@cache
def _backend_class(base: type) -> type:
    return type(f"Japanese{base.__name__}", (_JapaneseQueries, base), {})


def SearchBackend(params):  # noqa: N802 - the name Wagtail looks up in a backend module
    """The database's own backend (PostgreSQL or SQLite FTS5), with Japanese queries."""
    backend = database_backend(params)
    return _backend_class(type(backend))(params)
