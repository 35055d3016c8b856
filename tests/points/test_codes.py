"""Voucher codes against fixed vectors and the promises of points/codes.py's docstring.

``generate`` and ``normalize`` share ``_check_symbol``, so a test that only round-trips
them passes whatever the check symbol computes. These pin it from outside: known bodies
give known check symbols, a known key and code give a known digest, every single
mistyped symbol and every swap of neighbours the docstring promises to catch is
refused. No database: this file runs in well under a second.
"""

from __future__ import annotations

import itertools

import pytest

from points import codes

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32, written out again
KEY = "k" * 64
BODY = "7K3M9QXW2RT5HV8B"
CODE = BODY + "V"


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("0000000000000000", "0"),
        # Luhn mod 32 by hand: the last symbol "1" (value 1) is doubled, total 2,
        # check (32 - 2) % 32 = 30, which is "Y".
        ("0000000000000001", "Y"),
        # "G" (16) in a doubled place is 32, "10" in base 32: its digit sum is 1 (the
        # one addend where "// 32" and "// 33" differ), check 31, which is "Z".
        ("000000000000000G", "Z"),
        ("ZZZZZZZZZZZZZZZZ", "G"),
        ("0123456789ABCDEF", "8"),
        ("GHJKMNPQRSTVWXYZ", "0"),
        (BODY, "V"),
    ],
)
def test_known_bodies_give_known_check_symbols(body, check):
    assert codes.ALPHABET == ALPHABET
    assert codes._check_symbol(body) == check
    assert codes.normalize(body + check) == body + check


def test_every_single_mistyped_symbol_is_refused():
    for position, wrong in itertools.product(range(len(CODE)), ALPHABET):
        if CODE[position] == wrong:
            continue
        typo = CODE[:position] + wrong + CODE[position + 1 :]
        with pytest.raises(codes.MistypedCode):
            codes.normalize(typo)


def test_swaps_of_neighbours_are_refused_but_for_the_one_pair_luhn_mod_32_misses():
    """ "Most swaps of neighbours": Luhn mod 32 misses exactly one pair of different
    symbols, 0 and Z (0 doubles to 0; Z, 31, doubles to 62 = 1 + 30, a digit sum of
    31), in either order at any position. Every other swap is refused."""
    missed = set()
    for position in range(len(BODY) - 1):
        for a, b in itertools.permutations(ALPHABET, 2):
            body = BODY[:position] + a + b + BODY[position + 2 :]
            good = body + codes._check_symbol(body)
            assert codes.normalize(good) == good
            swapped = body[:position] + b + a + body[position + 2 :] + good[-1]
            try:
                codes.normalize(swapped)
            except codes.MistypedCode:
                continue
            missed.add(frozenset((a, b)))
    assert missed == {frozenset("0Z")}


def test_a_swap_with_the_check_symbol_itself_is_refused():
    swapped = CODE[:-2] + CODE[-1] + CODE[-2]
    assert swapped != CODE
    with pytest.raises(codes.MistypedCode):
        codes.normalize(swapped)


def test_generated_codes_are_canonical_and_pass_their_own_check():
    for _ in range(50):
        code = codes.generate()
        assert len(code) == 17 and set(code) <= set(ALPHABET)
        assert codes.normalize(code) == code


def test_forgiving_input_and_malformed_input():
    shown = codes.display(CODE)
    assert shown == "7K3M-9QXW-2RT5-HV8B-V"
    messy = " " + shown.lower().replace("-", "ー").replace("0", "o") + "\t"
    assert codes.normalize(messy) == CODE
    assert codes.normalize("７Ｋ３Ｍ９ＱＸＷ２ＲＴ５ＨＶ８ＢＶ") == CODE  # full width
    for bad in ("", None, CODE[:-1], CODE + "0", CODE[:-1] + "*"):
        with pytest.raises(codes.MalformedCode):
            codes.normalize(bad)


def test_errors_carry_what_was_typed():
    """Logs and error reports show the input that was refused."""
    with pytest.raises(codes.MalformedCode) as malformed:
        codes.normalize("abc")
    assert malformed.value.args == ("abc",)
    typo = CODE[:-1] + "W"
    with pytest.raises(codes.MistypedCode) as mistyped:
        codes.normalize(typo)
    assert mistyped.value.args == (typo,)


def test_a_known_key_and_code_give_a_known_digest(settings):
    settings.VOUCHER_CODE_KEY, settings.VOUCHER_CODE_OLD_KEYS = KEY, []
    expected = "41a76088b26830b4649d55dbee624acd227e2a6b70850d4d3afb5e6358fc0226"
    assert codes.digest(CODE) == expected
    assert codes.digests(CODE) == [expected]
    assert codes._keys(KEY)[2] == "4dc0cc5d"


def test_a_different_secret_changes_every_digest(settings):
    settings.VOUCHER_CODE_OLD_KEYS = []
    samples = [codes.generate() for _ in range(20)]
    seen = {}
    for secret in (KEY, "K" * 64, KEY[:-1] + "j"):
        settings.VOUCHER_CODE_KEY = secret
        seen[secret] = [codes.digest(code) for code in samples]
    for first, second in itertools.combinations(seen.values(), 2):
        assert all(a != b for a, b in zip(first, second, strict=True))


def test_keys_derive_from_secret_key_only_when_voucher_code_key_is_unset(settings):
    settings.VOUCHER_CODE_OLD_KEYS = []
    settings.SECRET_KEY = "s" * 50
    settings.VOUCHER_CODE_KEY = ""
    from_secret_key = codes.digest(CODE)
    settings.VOUCHER_CODE_KEY = KEY
    assert codes.digest(CODE) != from_secret_key
    settings.SECRET_KEY = "t" * 50  # ignored while VOUCHER_CODE_KEY is set
    assert codes.digest(CODE) == "41a76088b26830b4649d55dbee624acd227e2a6b70850d4d3afb5e6358fc0226"
    # Settings without the two names at all (an older settings module) still work:
    # the fallback is SECRET_KEY and no retired keys.
    del settings.VOUCHER_CODE_KEY
    del settings.VOUCHER_CODE_OLD_KEYS
    settings.SECRET_KEY = "s" * 50
    assert codes.digests(CODE) == [from_secret_key]


def test_retired_keys_follow_the_current_one_once_each(settings):
    settings.VOUCHER_CODE_KEY = KEY
    settings.VOUCHER_CODE_OLD_KEYS = ["", "old-1", KEY, "old-2"]
    assert codes._secrets() == [KEY, "old-1", "old-2"]
    assert codes.digests(CODE)[0] == codes.digest(CODE)
    assert len(set(codes.digests(CODE))) == 3


def test_sealed_codes_name_their_key_and_an_unknown_key_is_reported_by_id(settings):
    settings.VOUCHER_CODE_KEY, settings.VOUCHER_CODE_OLD_KEYS = KEY, []
    sealed = codes.seal(CODE)
    assert sealed.startswith("4dc0cc5d:")
    assert codes.seal(CODE) != sealed  # a fresh nonce every time
    assert codes.unseal(sealed) == CODE
    settings.VOUCHER_CODE_KEY = "n" * 64
    with pytest.raises(codes.UnreadableCode) as unreadable:
        codes.unseal(sealed)
    assert str(unreadable.value) == "4dc0cc5d"  # the log names the missing key's id
    legacy = sealed.partition(":")[2]  # sealed before key ids existed
    with pytest.raises(codes.UnreadableCode) as unreadable:
        codes.unseal(legacy)
    assert str(unreadable.value) == "legacy"
    settings.VOUCHER_CODE_OLD_KEYS = [KEY]
    assert codes.unseal(legacy) == CODE
    assert codes.unseal(sealed) == CODE
