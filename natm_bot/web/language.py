"""Which language a page is written in: the one in its address, else the reader's browser's."""

from __future__ import annotations

from aiohttp import web

from natm_bot.core.i18n import LANGUAGES

MAX_HEADER = 500  # an Accept-Language longer than this is read only this far


def from_accept_language(header: str, default: str) -> str:
    """The reader's preferred language we have (`es-MX,es;q=0.9,en;q=0.8` → `es`)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:MAX_HEADER].split(",")):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().split("-", 1)[0].lower()
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, index, primary))
    return min(ranked)[2] if ranked else default


def chosen(request: web.Request, default: str) -> tuple[str, bool]:
    """The page's language, and whether the reader chose it (`/es/…` or `?lang=es`) rather
    than it coming from their browser."""
    for picked in (request.match_info.get("lang"), request.query.get("lang")):
        if picked in LANGUAGES:
            return str(picked), True
    return from_accept_language(request.headers.get("Accept-Language", ""), default), False
