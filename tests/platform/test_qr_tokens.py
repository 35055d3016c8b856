"""QR scan tokens (platform/qr/tokens.py) against fixed vectors and their docstring:
a given key and content give a given token, a given token gives its fields, and a
token of one kind is refused where the other kind is expected. No database."""

from __future__ import annotations

import pytest
from django.core import signing

from qr import tokens

SECRET = "s" * 50
# Signed under SECRET: purpose "place" and "card", object 7, version 2.
PLACE_7_2 = "WzcsMl0:JbuiX57yqkbNiRZb4lXyfJFggwEsep8pYFn9TBQWSzQ"
CARD_7_2 = "WzcsMl0:JZjZ7-AJeOm7Ppr-DNX3eleer4_AJatghkTTS1-oMbE"


@pytest.fixture(autouse=True)
def _fixed_secret(settings):
    settings.SECRET_KEY = SECRET
    settings.SECRET_KEY_FALLBACKS = []


def test_a_given_secret_and_content_give_a_given_token():
    assert tokens.make("place", 7, 2) == PLACE_7_2
    assert tokens.make("card", 7, 2) == CARD_7_2
    assert tokens.make("place", 7, 2) == tokens.make("place", 7, 2)  # reprints match


def test_a_given_token_gives_its_fields():
    assert tokens.identify(PLACE_7_2) == tokens.Token("place", 7, 2)
    assert tokens.identify(CARD_7_2) == tokens.Token("card", 7, 2)
    assert tokens.read(PLACE_7_2, "place") == tokens.Token("place", 7, 2)
    assert tokens.read(CARD_7_2, "card").object_id == 7


@pytest.mark.parametrize(("token", "expected"), [(PLACE_7_2, "card"), (CARD_7_2, "place")])
def test_a_token_of_one_kind_is_refused_where_the_other_is_expected(token, expected):
    with pytest.raises(tokens.BadToken) as refused:
        tokens.read(token, expected)
    assert refused.value.reason == "wrong_purpose"
    assert str(refused.value) == "wrong_purpose"


def test_another_secret_makes_every_token_tampered(settings):
    settings.SECRET_KEY = "t" * 50
    for token in (PLACE_7_2, CARD_7_2):
        with pytest.raises(tokens.BadToken) as refused:
            tokens.identify(token)
        assert refused.value.reason == "tampered"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "WzcsMl0",
        PLACE_7_2[:-1] + ("A" if PLACE_7_2[-1] != "A" else "B"),
        "WzgsMl0" + PLACE_7_2[7:],  # [8,2] under 7's signature
    ],
)
def test_altered_tokens_are_tampered(token):
    with pytest.raises(tokens.BadToken) as refused:
        tokens.read(token, "place")
    assert refused.value.reason == "tampered"


@pytest.mark.parametrize("content", [["7", 2], [7, "2"], [7.0, 2], [None, None]])
def test_a_signed_token_whose_fields_are_not_whole_numbers_is_refused(content):
    token = signing.Signer(salt=tokens.SALT_PREFIX + "place").sign_object(content)
    with pytest.raises(tokens.BadToken) as refused:
        tokens.identify(token)
    assert refused.value.reason == "tampered"


def test_only_the_two_known_purposes_can_be_made():
    with pytest.raises(ValueError, match="unknown purpose 'poster'"):
        tokens.make("poster", 7, 2)
