"""The language a reply is written in, and the message catalogues that translate it.

Texts are English in the code, marked with `_()` (or `ngettext()` where a number decides the
form, or `N_()` for a text kept in a constant and translated where it is shown). The
catalogues are gettext `.po` files in `natm_bot/locale/<lang>/LC_MESSAGES/natm_bot.po`, read
with Babel when first needed (no compiled `.mo` files to keep in step).

Which language is in force is a context variable: the dispatcher sets it for each message
(the person's choice, else the room's, else the config's default) and the announcer for each
room it writes to, so a text is translated where it is made, however deep.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Final

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES: Final = ("en", "es", "fr", "pt")
SOURCE_LANGUAGE: Final = "en"
DOMAIN: Final = "natm_bot"
LOCALE_DIR: Final = Path(__file__).resolve().parents[1] / "locale"

_current: ContextVar[str] = ContextVar("natm_bot_language", default=SOURCE_LANGUAGE)


def catalogue_path(lang: str) -> Path:
    """Where the catalogue of `lang` lives."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> NullTranslations:
    """The translations of `lang`; English (the text in the code) translates to itself."""
    path = catalogue_path(lang)
    if lang == SOURCE_LANGUAGE or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def language() -> str:
    """The language texts are being written in right now."""
    return _current.get()


def locale() -> Locale:
    """The CLDR locale of the current language (dates, plural rules, zone names)."""
    return Locale.parse(language())


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Write texts in `lang` inside the block (an unknown language falls back to English)."""
    token = _current.set(lang if lang in LANGUAGES else SOURCE_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """`message` in the current language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, by the current language's plural rules."""
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a text for the catalogues without translating it yet (translate it with `_`)."""
    return message


def spoken_name(lang: str) -> str:
    """A language's name inside a sentence of the current language: `español`, `English`."""
    return Locale.parse(lang).get_display_name(language()) or lang


def language_name(lang: str, in_lang: str | None = None) -> str:
    """`Español`, `français`, `português`: a language's name in itself or in `in_lang`."""
    name = Locale.parse(lang).get_display_name(in_lang or lang) or lang
    return name[:1].upper() + name[1:]
