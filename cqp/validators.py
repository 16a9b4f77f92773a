"""Validators shared by the apps."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LA_POSTE_SIREN = "356000000"


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siret_is_valid(value: str) -> bool:
    """A SIRET is 14 digits with a Luhn key (La Poste's establishments use a digit sum)."""
    if not re.fullmatch(r"\d{14}", value or ""):
        return False
    if value.startswith(LA_POSTE_SIREN):
        return sum(int(c) for c in value) % 5 == 0
    return luhn_is_valid(value)


def validate_siret(value: str) -> None:
    if not re.fullmatch(r"\d{14}", value or ""):
        raise ValidationError(_("A SIRET number has exactly 14 digits."), code="siret_format")
    if not siret_is_valid(value):
        raise ValidationError(
            _("This SIRET number is not valid (its check digit does not match)."),
            code="siret_key",
        )


def search_key(*values) -> str:
    """Lower case, without accents or extra spaces: "Vétérinaire" and "veterinaire" match."""
    text = " ".join(str(v) for v in values if v)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.casefold().split())


def normalize_siret(value: str) -> str:
    return re.sub(r"\s", "", value or "")
