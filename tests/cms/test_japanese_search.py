"""Japanese search (core.japanese_search): words inside unspaced Japanese text are
found, in any kana or width, on SQLite FTS5 and PostgreSQL, through the public page.

The measurement: for a fixed set of queries over the demo town, a page is relevant when
every word of the query (normalised) occurs in the text of its indexed fields
(normalised); recall and precision of ``/search/`` against that are printed (``-s``) and
must both be 1.0.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from wagtail.models import Page

from core.japanese_search import (
    JapaneseAutocompleteField,
    JapaneseSearchField,
    index_text,
    normalize,
    to_query,
)

pytestmark = pytest.mark.django_db


def test_text_is_indexed_as_bigrams_then_characters():
    assert index_text("買い物") == "買い い物 買 い 物"
    assert index_text("ＱＲコード") == "qr こー ーど こ ー ど"
    assert index_text("ｻﾛﾝ 8月") == "さろ ろん 8 月 さ ろ ん 月"
    assert index_text("<p>!?</p>") == "p p"


def test_normalisation_joins_kana_and_widths():
    assert normalize("サロン") == normalize("さろん") == normalize("ｻﾛﾝ") == "さろん"
    assert normalize("ＡＢＣ１") == "abc1"


def test_a_query_is_a_phrase_per_word_and_symbols_are_dropped():
    query = to_query("買い物 ＱＲ")
    assert [type(part).__name__ for part in query.subqueries] == ["Phrase", "PlainText"]
    assert query.subqueries[0].query_string == "買い い物"
    assert to_query("米").query_string == "米"
    assert [part.query_string for part in to_query("18歳").subqueries] == ["18", "歳"]
    assert to_query("'\"< ・") == ""


def get_results(client, query: str) -> list[str]:
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    results = response.context["results_page"]
    return sorted(page.url for page in results.paginator.object_list)


@pytest.fixture
def town():
    call_command("seed_demo", verbosity=0)


def test_the_public_search_finds_words_inside_japanese_text(client, town):
    home = Page.objects.get(depth=2).url
    assert home in get_results(client, "手伝い")  # ゴミ出しや買い物の手伝いなど
    salons = get_results(client, "サロン")
    assert salons and salons == get_results(client, "ｻﾛﾝ") == get_results(client, "さろん")
    assert get_results(client, "'\"<") == []  # FTS5's syntax error was a 500
    assert get_results(client, "存在しない言葉") == []


def _indexed_text(page) -> str:
    texts = []
    for field in type(page).search_fields:
        if isinstance(field, JapaneseSearchField | JapaneseAutocompleteField):
            value = super(type(field), field).get_value(page)
            texts.append(re.sub(r"<[^>]+>", " ", str(value or "")))
    return normalize(" ".join(texts))


QUERIES = [
    "買い物", "手伝い", "ゴミ出し", "ごみだし", "サロン", "さろん", "ｻﾛﾝ", "いきいき",
    "イキイキ", "防災訓練", "防災", "訓練", "子ども食堂", "食堂", "健康体操", "体操",
    "スマホ", "すまほ", "相談会", "地域清掃", "清掃", "見守り", "ボランティア",
    "ぼらんてぃあ", "募集", "協働提案", "提案", "行政", "市民", "中央", "桜ヶ丘", "港",
    "川辺", "活動報告", "高齢者", "移動販売", "地区 防災", "港 サロン", "ポイント",
    "18歳",
]  # fmt: skip


def test_recall_and_precision_over_the_demo_town(client, town):
    pages = [page for page in Page.objects.live().public().specific() if page.depth > 1]
    texts = {page.url: _indexed_text(page) for page in pages}
    rows, found_all, relevant_all, correct_all = [], 0, 0, 0
    for query in QUERIES:
        words = [normalize(word) for word in query.split()]
        relevant = {url for url, text in texts.items() if all(w in text for w in words)}
        found = set(get_results(client, query))
        correct = len(found & relevant)
        rows.append(
            f"{query:<10} relevant {len(relevant):>2} found {len(found):>2} ok {correct:>2}"
        )
        found_all += len(found)
        relevant_all += len(relevant)
        correct_all += correct
    recall = correct_all / relevant_all
    precision = correct_all / found_all
    print("\n".join(rows))
    print(f"{len(QUERIES)} queries: recall {recall:.3f}, precision {precision:.3f}")
    assert relevant_all > 3 * len(QUERIES)  # the queries are about the demo town
    assert recall == 1.0, "\n".join(rows)
    assert precision == 1.0, "\n".join(rows)
