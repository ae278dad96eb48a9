"""Time zones as people type them: an IANA name in any case (`europe/berlin`), or a city's
name in English, Spanish, French or Portuguese, accented or not (`Berlin`, `Berlín`,
`sao paulo`, `Ciudad de México`). The city names are CLDR's, through Babel; both tables are
built once, on first use."""

from __future__ import annotations

import functools
from collections import defaultdict
from zoneinfo import available_timezones

from babel.core import get_global
from babel.dates import get_timezone_location

from natm_bot.core.text import name_key

LANGUAGES = ("en", "es", "fr", "pt")
# The areas whose zones are named after a city (not Etc/GMT+5, US/Eastern or UTC).
_AREAS: tuple[str, ...] = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic")
_AREAS += ("Australia", "Europe", "Indian", "Pacific")


@functools.cache
def iana_names() -> dict[str, str]:
    """Every IANA zone name this system knows, keyed by its folded form."""
    return {name_key(name): name for name in sorted(available_timezones())}


def _canonical(name: str, known: set[str]) -> str:
    """The current name of a zone (`Asia/Calcutta` is `Asia/Kolkata` now)."""
    current = get_global("zone_aliases").get(name, name)
    return str(current) if current in known else name


@functools.cache
def city_names() -> dict[str, tuple[str, ...]]:
    """The zones each folded city name may mean: the last part of the IANA name, and the
    CLDR exemplar city in each language."""
    known = set(available_timezones())
    cities: defaultdict[str, set[str]] = defaultdict(set)
    for name in known:
        if not name.startswith(_AREAS):
            continue
        zone = _canonical(name, known)
        cities[name_key(name.rsplit("/", 1)[-1])].add(zone)
        if zone == name:
            for language in LANGUAGES:
                city = get_timezone_location(name, locale=language, return_city=True)
                cities[name_key(city)].add(zone)
    return {city: tuple(sorted(zones)) for city, zones in cities.items() if city}


MIN_PREFIX = 3  # letters typed before the start of a city's name is looked for


def lookup(text: str) -> tuple[str, ...]:
    """The zone names `text` may mean: an IANA name or a city's whole name, else the zones of
    the cities whose name starts so (`buenos` is Buenos Aires; `san` could be many). One when
    it is clear, several to choose from, none when nothing matches."""
    key = name_key(text)
    if not key:
        return ()
    exact = iana_names().get(key)
    cities = city_names()
    # An old one-word alias (`Jamaica`, `Egypt`) gives the zone of today's name for the place.
    if exact is not None and ("/" in exact or key not in cities):
        return (exact,)
    if key in cities:
        return cities[key]
    if len(key) < MIN_PREFIX:
        return ()
    found = {zone for city, zones in cities.items() if city.startswith(key) for zone in zones}
    return tuple(sorted(found))
