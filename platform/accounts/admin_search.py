"""Finding people by name in the back-office lists (Wagtail index views)."""

from __future__ import annotations

from accounts.kana import name_search_q


class NameSearchMixin:
    """For a Wagtail ``IndexView``: its search box finds rows through
    :func:`accounts.kana.name_search_q`, so every list of people searches names and
    kana readings the way the coordinators' board does (hiragana, katakana and
    half-width katakana alike). ``name_search`` holds the keyword arguments
    (``names``, ``kanas``, ``others``: field paths of the listed model)."""

    name_search: dict[str, tuple[str, ...]] = {}

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return queryset.filter(name_search_q(self.search_query, **self.name_search))
