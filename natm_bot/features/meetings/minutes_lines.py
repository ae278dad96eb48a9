"""The lines of a meeting's minutes as people type them while it runs (MeetBot's conventions).

A message is a minutes line when it starts with a keyword: `#topic`, `#info`, `#agreed`,
`#action`, `#undo`, or one of their names in Spanish, French or Portuguese. Any other message
is no minutes line, and is ignored. A minutes line is recorded, or refused with a reason the
person can act on; reading one never fails, whatever it holds.

An action names its owner first (`@ana:example.org`, or the one person the message mentions,
as a pill in Element does) and may carry a due date anywhere after a word that introduces it
(`due`, `plazo`, `para el`, `échéance`, `pour le`, `prazo`, `até`): `2027-01-20` in every
language; `20/01/2027` day first in Spanish, French and Portuguese, and in English only when it
cannot be read two ways; the month by name in any of the four languages (`20 January 2027`,
`January 20, 2027`, `20 de enero de 2027`, `1er mars 2027`, `20 de março`). A date without a
year is the next such day from today on.

Pure functions: no storage, no clock (`today` is given).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Final, Literal

from babel.dates import get_month_names

from natm_bot.core.i18n import _
from natm_bot.core.markdown import md_escape
from natm_bot.core.messages import UserId
from natm_bot.core.text import fold

Kind = Literal["topic", "info", "agreed", "action", "undo"]
Reason = Literal[
    "empty", "too_long", "bad_date", "ambiguous_date", "past_date", "far_date", "bad_owner"
]

MAX_TEXT: Final = 500
MAX_DETAIL: Final = 60
MAX_YEARS_AHEAD: Final = 5
# Room for an owner's id and a date phrase beside the text, before a line is too long to read.
_MAX_READ: Final = MAX_TEXT + 400


@dataclass(frozen=True)
class Line:
    """A minutes line to record: its kind, its cleaned text, an action's owner and due date."""

    kind: Kind
    text: str
    owner: UserId | None = None
    due: date | None = None


@dataclass(frozen=True)
class Refused:
    """A minutes line that cannot be recorded: why, and the piece of it at fault."""

    reason: Reason
    detail: str = ""


# MeetBot's keywords, their names in the bot's other languages, and MeetBot's synonyms;
# folded (lower case, no accents), so `#Acción` and `#accion` are one keyword.
_KEYWORDS: Final[dict[str, Kind]] = {
    "topic": "topic", "info": "info", "agreed": "agreed", "action": "action", "undo": "undo",
    "agree": "agreed", "idea": "info", "link": "info",
    "tema": "topic", "acuerdo": "agreed", "accion": "action", "deshacer": "undo",
    "sujet": "topic", "accord": "agreed", "decision": "agreed", "annuler": "undo",
    "topico": "topic", "acordo": "agreed", "acao": "action", "desfazer": "undo",
}  # fmt: skip

# C0, DEL and C1 controls, and the bidi embeddings, overrides and isolates (core/text.py's
# rule); the left-to-right and right-to-left marks stay, as people writing Arabic need them.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Invisible marks that may come before the keyword (a right-to-left mark, a byte order mark).
_LEADING = "\u200b\u200c\u200d\u200e\u200f\u061c\u2060\ufeff"

# A Matrix user id (the spec's grammar): a lower-case localpart, a host name and a port.
_USER_ID = re.compile(
    r"@[a-z0-9._=\-/+]+:"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}"
    r"[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
)
_MAX_USER_ID = 255

_INTRO = r"due|plazo|para\s+el|[eé]ch[eé]ance|pour\s+le|prazo|at[eé]"
_ORDINAL = r"(?:er|re|º|ª|°|st|nd|rd|th)"


def clean(text: str) -> str:
    """`text` as recorded: composed (NFC), without control characters, whitespace folded."""
    spaced = "".join(" " if char.isspace() else char for char in text)
    return " ".join(_UNSAFE.sub("", unicodedata.normalize("NFC", spaced)).split())


def _detail(text: str) -> str:
    """The piece of a line named in a refusal: cleaned and short."""
    text = clean(text)
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


@cache
def _months() -> dict[str, int]:
    """Every month's name, wide and abbreviated, in the four languages, folded: its number."""
    names: dict[str, int] = {}
    for lang in ("en", "es", "fr", "pt"):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, lang).items():
                    names[fold(str(name)).rstrip(".")] = number
    return names


@cache
def _date_phrase() -> re.Pattern[str]:
    """A word introducing a date, and a date in one of the forms read."""
    written = {
        str(name).casefold().rstrip(".")
        for lang in ("en", "es", "fr", "pt")
        for width in ("wide", "abbreviated")
        for name in get_month_names(width, "format", lang).values()
    }
    names = sorted(written | set(_months()), key=len, reverse=True)
    month = "|".join(re.escape(name) for name in names)
    numeric = r"(?P<a>\d+)(?P<sep>[/.\-])(?P<b>\d+)(?:(?P=sep)(?P<c>\d+))?"
    year = r"(?:,?\s+(?:de\s+)?(?P<{}>\d{{4,}}))?"
    day_month = rf"(?P<d1>\d+){_ORDINAL}?\s+(?:de\s+)?(?P<m1>{month})\.?" + year.format("y1")
    month_day = rf"(?P<m2>{month})\.?\s+(?P<d2>\d+){_ORDINAL}?" + year.format("y2")
    forms = f"{numeric}|{day_month}|{month_day}"
    return re.compile(
        rf"(?<!\w)(?:{_INTRO})\s*:?\s+(?P<date>{forms})(?!\w|[/.\-]\d)", re.IGNORECASE
    )


def _keyword(body: str) -> tuple[Kind, str, str] | None:
    """The kind of a minutes line, its keyword as typed and the rest; None for other text."""
    stripped = body.lstrip().lstrip(_LEADING).lstrip()
    if not stripped.startswith("#"):
        return None
    parts = stripped.split(maxsplit=1)
    typed = parts[0]
    kind = _KEYWORDS.get(fold(typed[1:]))
    if kind is None:
        return None
    return kind, typed, parts[1] if len(parts) > 1 else ""


def valid_user_id(text: str) -> bool:
    """Whether `text` is a Matrix user id `@name:server[:port]`, by the spec's grammar."""
    found = _USER_ID.fullmatch(text)
    if found is None or len(text) > _MAX_USER_ID:
        return False
    return found.group("port") is None or int(found.group("port")) <= 65535


def _owner(text: str, mentions: Sequence[UserId]) -> tuple[UserId | None, str] | Refused:
    """An action's owner (its first word, or the one person mentioned) and the rest."""
    parts = text.split(maxsplit=1)
    if parts and parts[0].startswith("@"):
        token = parts[0].rstrip(",:;")
        if not valid_user_id(token):
            return Refused("bad_owner", _detail(parts[0]))
        return UserId(token), parts[1] if len(parts) > 1 else ""
    people = {person for person in mentions if valid_user_id(person)}
    if len(people) == 1 and len(set(mentions)) == 1:
        return people.pop(), text
    return None, text


def _number(typed: str) -> int:
    """A number as typed; one too long for any date reads as 0, which no date part is."""
    return int(typed) if len(typed) <= 6 else 0


def _year(typed: str | None) -> int | None:
    """The year as typed (two digits are this century's); None when none was typed."""
    if typed is None:
        return None
    if len(typed) == 2:
        return 2000 + int(typed)
    return _number(typed) if len(typed) == 4 else 0


def _numeric(found: re.Match[str], language: str) -> tuple[int, int, str | None] | Reason:
    """Day, month and typed year of a numeric date, or why it cannot be read."""
    a, b, c = found.group("a"), found.group("b"), found.group("c")
    if len(a) >= 3 and c is not None:  # year first: 2027-01-20
        return _number(c), _number(b), a
    first, second = _number(a), _number(b)
    if language != "en" or first == second:
        return first, second, c
    if first > 12 and second <= 12:
        return first, second, c
    if second > 12 and first <= 12:
        return second, first, c
    return "bad_date" if first == 0 or second == 0 or first > 12 else "ambiguous_date"


def _parts(found: re.Match[str], language: str) -> tuple[int, int, str | None] | Reason:
    """Day, month and typed year of the date found, or why it cannot be read."""
    if found.group("a") is not None:
        return _numeric(found, language)
    if found.group("m1") is not None:
        day, name, year = found.group("d1"), found.group("m1"), found.group("y1")
    else:
        day, name, year = found.group("d2"), found.group("m2"), found.group("y2")
    month = _months().get(fold(name))
    return (_number(day), month, year) if month is not None else "bad_date"


def _next_day(month: int, day: int, today: date) -> date | None:
    """The next `day` of `month` on or after today (29 February may be years ahead)."""
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _limit(today: date) -> date:
    """The furthest due date accepted: five years after today (or the last date there is)."""
    if today.year + MAX_YEARS_AHEAD > date.max.year:
        return date.max
    if (today.month, today.day) == (2, 29):
        return date(today.year + MAX_YEARS_AHEAD, 2, 28)
    return today.replace(year=today.year + MAX_YEARS_AHEAD)


def _due(found: re.Match[str], language: str, today: date) -> date | Refused:
    """The due date of a date phrase, or the refusal naming it."""
    typed = _detail(found.group("date"))
    parts = _parts(found, language)
    if isinstance(parts, str):
        return Refused(parts, typed)
    day, month, year_typed = parts
    try:
        year = _year(year_typed)
        due = date(year, month, day) if year is not None else _next_day(month, day, today)
    except (ValueError, OverflowError):
        return Refused("bad_date", typed)
    if due is None:
        return Refused("bad_date", typed)
    if due < today:
        return Refused("past_date", typed)
    if due > _limit(today):
        return Refused("far_date", typed)
    return due


def _action(
    text: str, language: str, today: date, mentions: Sequence[UserId]
) -> tuple[str, UserId | None, date | None] | Refused:
    """An action's text, owner and due date."""
    owned = _owner(text, mentions)
    if isinstance(owned, Refused):
        return owned
    owner, rest = owned
    found = _date_phrase().search(rest)
    if found is None:
        return rest, owner, None
    due = _due(found, language, today)
    if isinstance(due, Refused):
        return due
    rest = rest[: found.start()] + " " + rest[found.end() :]
    return " ".join(rest.split()), owner, due


def read_line(
    body: str, language: str, today: date, mentions: Sequence[UserId] = ()
) -> Line | Refused | None:
    """None: not a minutes line (ignored); Line: to record; Refused: a minutes line that
    cannot be recorded, with the reason."""
    found = _keyword(body)
    if found is None:
        return None
    kind, typed, rest = found
    if kind == "undo":
        return Line("undo", "")
    text = clean(rest)
    if len(text) > _MAX_READ:
        return Refused("too_long", str(len(text)))
    owner: UserId | None = None
    due: date | None = None
    if kind == "action":
        action = _action(text, language, today, mentions)
        if isinstance(action, Refused):
            return action
        text, owner, due = action
    if not text:
        return Refused("empty", _detail(typed))
    if len(text) > MAX_TEXT:
        return Refused("too_long", str(len(text)))
    return Line(kind, text, owner, due)


# --- refusals ----------------------------------------------------------------------------------

_EXAMPLE_DATE: Final = "2027-01-20"
_NUMERIC = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})(?:\2(\d{4}))?")


def _two_readings(typed: str) -> tuple[str, str] | None:
    """The two dates an ambiguous numeric date may be, written year-month-day."""
    found = _NUMERIC.fullmatch(typed)
    if found is None or found.group(4) is None:
        return None
    first, second, year = int(found.group(1)), int(found.group(3)), found.group(4)
    return f"{year}-{second:02}-{first:02}", f"{year}-{first:02}-{second:02}"


def _date_refusal(refused: Refused, typed: str) -> str:
    """Why a due date cannot be kept, and how to write one that can."""
    if refused.reason == "ambiguous_date":
        readings = _two_readings(refused.detail)
        if readings is not None:
            text = _(
                "Sorry, the date “{typed}” can be read two ways: write it as {one} or {other} "
                "(year-month-day)."
            )
            return text.format(typed=typed, one=readings[0], other=readings[1])
        text = _(
            "Sorry, the date “{typed}” can be read two ways: write it as year-month-day, "
            "like {example}."
        )
    elif refused.reason == "past_date":
        text = _(
            "Sorry, the due date “{typed}” has already passed: give a date from today on, "
            "like {example} (year-month-day)."
        )
    elif refused.reason == "far_date":
        text = _(
            "Sorry, the due date “{typed}” is more than {years} years away: give a nearer "
            "date, like {example} (year-month-day)."
        )
    else:
        text = _(
            "Sorry, I could not read the date “{typed}”: write it as year-month-day, "
            "like {example}."
        )
    return text.format(typed=typed, example=_EXAMPLE_DATE, years=MAX_YEARS_AHEAD)


def refusal_text(refused: Refused) -> str:
    """Why a minutes line was not recorded and what to write instead, in the current
    language, as Markdown (the typed piece shown as itself)."""
    typed = md_escape(refused.detail)
    if refused.reason == "empty":
        text = _(
            "Sorry, there is nothing to record after “{typed}”: write it in the same "
            "message, like “{typed} The venue is booked”."
        )
    elif refused.reason == "too_long":
        text = _(
            "Sorry, a minutes line can hold {limit} characters and this one has {typed}: "
            "split it into several lines."
        )
    elif refused.reason == "bad_owner":
        text = _(
            "Sorry, “{typed}” is not a Matrix user id: write the owner as @name:server, "
            "like @ana:example.org, or mention them."
        )
    else:
        return _date_refusal(refused, typed)
    return text.format(typed=typed, limit=MAX_TEXT)
