"""What is typed about a statement, read or refused with a friendly reason: its id, its
title, its text, a language, and whether an organisation's name is shown. Pure functions."""

from __future__ import annotations

import re

from natm_bot.core.errors import UsageError
from natm_bot.core.i18n import LANGUAGES, _
from natm_bot.core.markdown import md_escape
from natm_bot.core.text import fold, multi_line, one_line

ID_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
RESERVED = frozenset({"add", "edit"})  # the words after `statement` that are subcommands
MAX_TITLE = 200
MAX_TEXT = 20_000  # characters: a page or two, well inside one Matrix event
# Public or private, in each of the bot's languages (folded: case and accents).
_SHOWN: dict[str, bool] = {
    **dict.fromkeys(("public", "publico", "publique", "publica"), True),
    **dict.fromkeys(("private", "privado", "privee", "prive", "privada"), False),
}


def _shown(text: str) -> str:
    """Typed text as it may be repeated in a reply: short, one line, escaped."""
    return md_escape(" ".join(text.replace("`", "'").split())[:40])


def statement_id(text: str) -> str:
    """A statement's id: lower-case letters, digits and dashes, up to 40; else UsageError."""
    wanted = text.strip().lower()
    if not text.isascii() or not ID_RE.fullmatch(wanted) or wanted in RESERVED:
        raise UsageError(
            _(
                "“{typed}” is not a statement id: use up to 40 letters a-z, digits and dashes, "
                "like `data-refusal`."
            ).format(typed=_shown(text))
        )
    return wanted


def title(text: str) -> str:
    """A statement's title on one line, up to 200 characters; else UsageError."""
    cleaned = one_line(text, _("The title"))
    if not cleaned or len(cleaned) > MAX_TITLE:
        raise UsageError(_("Give a title of 1 to {most} characters.").format(most=MAX_TITLE))
    return cleaned


def body(text: str) -> str:
    """A statement's text (or a link to it), up to 20,000 characters; else UsageError."""
    cleaned = multi_line(text, _("The text"))
    if not cleaned or len(cleaned) > MAX_TEXT:
        raise UsageError(
            _("Give a text (or a link to it) of 1 to {most} characters.").format(most=MAX_TEXT)
        )
    return cleaned


def language(text: str) -> str:
    """One of the bot's languages (`en`, `es`, `fr`, `pt`); else UsageError."""
    wanted = text.strip().lower()
    if wanted not in LANGUAGES:
        raise UsageError(
            _("“{typed}” is not one of my languages: write one of {languages}.").format(
                typed=_shown(text), languages=", ".join(LANGUAGES)
            )
        )
    return wanted


def shown(text: str) -> bool:
    """`public` (True) or `private` (False), in any of the bot's languages; else UsageError."""
    found = _SHOWN.get(fold(text))
    if found is None:
        raise UsageError(
            _("Write `public` or `private`, not “{typed}”.").format(typed=_shown(text))
        )
    return found
