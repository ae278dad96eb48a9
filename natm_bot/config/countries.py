"""ISO 3166-1 countries and ISO 639-1 languages by code and by name, from pycountry's tables."""

from __future__ import annotations

from collections import defaultdict
from functools import cache

import pycountry

from natm_bot.core.text import fold

# Everyday names that ISO does not use, so that `!members russia` finds RU.
_EXTRA_NAMES = {
    "russia": "RU",
    "usa": "US",
    "united states of america": "US",
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "ivory coast": "CI",
    "dr congo": "CD",
    "drc": "CD",
    "democratic republic of the congo": "CD",
    "turkey": "TR",
    "vatican": "VA",
    "east timor": "TL",
    "cape verde": "CV",
    "swaziland": "SZ",
    "burma": "MM",
    "palestine": "PS",
}


@cache
def _names() -> dict[str, str]:
    """Folded country name → alpha-2 code; a short form is kept only when it is unambiguous."""
    exact: dict[str, str] = {}
    short: defaultdict[str, set[str]] = defaultdict(set)
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name:
                exact[fold(name)] = country.alpha_2
                short[fold(name.split(",")[0].split("(")[0])].add(country.alpha_2)
    shorts = {name: codes.pop() for name, codes in short.items() if len(codes) == 1}
    return {**shorts, **_EXTRA_NAMES, **exact}


def country_code(text: str) -> str | None:
    """The alpha-2 code meant by a code (any case) or a country's name, or None."""
    if len(text.strip()) == 2:
        found = pycountry.countries.get(alpha_2=text.strip().upper())
        return str(found.alpha_2) if found else None
    return _names().get(fold(text))


def country_name(code: str) -> str:
    """The everyday English name of a country (`KE` → `Kenya`), or the code if unknown."""
    found = pycountry.countries.get(alpha_2=code.upper())
    if found is None:
        return code
    return str(getattr(found, "common_name", None) or found.name)


def is_language(code: str) -> bool:
    """Whether `code` is an ISO 639-1 language code (two lower-case letters)."""
    return len(code) == 2 and code.islower() and language_name(code) is not None


def language_name(code: str) -> str | None:
    """The English name of an ISO 639-1 language (`sw` → `Swahili`), or None."""
    found = pycountry.languages.get(alpha_2=code.lower())
    if found is None:
        return None
    return str(found.name).removesuffix(" (macrolanguage)")
