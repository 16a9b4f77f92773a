"""SIRET numbers: 14 digits with a Luhn key, La Poste's establishments excepted."""

import pytest
from django.core.exceptions import ValidationError

from cqp.validators import luhn_is_valid, normalize_siret, siret_is_valid, validate_siret
from tests.factories import make_siret

VALID = "73282932000074"


@pytest.mark.parametrize("siret", [VALID, "44306184100047", make_siret(1), make_siret(42)])
def test_it_accepts_a_siret_with_a_correct_key(siret):
    assert siret_is_valid(siret)
    validate_siret(siret)  # does not raise


def test_it_rejects_a_wrong_key():
    assert not siret_is_valid("73282932000075")
    with pytest.raises(ValidationError) as error:
        validate_siret("73282932000075")
    assert error.value.code == "siret_key"


@pytest.mark.parametrize(
    "value",
    [
        "7328293200000",  # 13 digits, Luhn-valid
        "073282932000074",  # 15 digits, Luhn-valid
        "7328293200007A",
        "ABCDEFGHIJKLMN",
        "732 829 320 00074",
        "",
        None,
    ],
)
def test_it_rejects_anything_but_fourteen_digits(value):
    assert not siret_is_valid(value)
    with pytest.raises(ValidationError) as error:
        validate_siret(value)
    assert error.value.code == "siret_format"


def test_the_length_examples_would_pass_the_luhn_check_alone():
    # So the test above proves that the length, not the key, is refused.
    assert luhn_is_valid("7328293200000")
    assert luhn_is_valid("073282932000074")


def test_it_accepts_la_postes_establishments_whose_digits_sum_to_a_multiple_of_five():
    assert not luhn_is_valid("35600000000047")
    assert siret_is_valid("35600000000047")
    assert siret_is_valid("35600000049837")
    validate_siret("35600000000047")


def test_it_rejects_a_la_poste_siret_even_with_a_luhn_key():
    assert luhn_is_valid("35600000000048")
    assert not siret_is_valid("35600000000048")
    with pytest.raises(ValidationError):
        validate_siret("35600000000048")


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("732 829 320 00074", VALID),
        (" 732829320\t00074\n", VALID),
        ("732\u00a0829\u00a0320\u202f00074", VALID),  # French typography's non-breaking spaces
        (VALID, VALID),
        ("", ""),
        (None, ""),
    ],
)
def test_it_normalizes_a_siret_by_removing_spaces(raw, normalized):
    assert normalize_siret(raw) == normalized


def test_a_normalized_siret_validates():
    assert siret_is_valid(normalize_siret("732 829 320 00074"))
