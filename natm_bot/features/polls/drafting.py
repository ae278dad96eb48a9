"""The fields of `!poll add` as organisers type them, each read and checked."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import cast

from natm_bot.calendar.timeutil import exists, parse_local, to_utc, zone
from natm_bot.core.errors import UsageError
from natm_bot.core.i18n import _
from natm_bot.core.text import fold, one_line
from natm_bot.engine.rendering import md_escape

FIELDS = (
    "kind",
    "question",
    "options",
    "closes",
    "tz",
    "quorum",
    "threshold",
    "max",
    "voters",
    "results",
    "secret",
)
KINDS = ("proposal", "choice", "multiple", "time")
MAX_OPTIONS = 20  # what Element shows of a poll
MAX_OPTION_LENGTH = 100
MAX_QUESTION_LENGTH = 300
LONGEST = timedelta(days=366)  # how far ahead a poll can close
SHORTEST = timedelta(minutes=1)
_FRACTION_RE = re.compile(r"^(\d{1,3})\s*/\s*(\d{1,3})$")
_PERCENT_RE = re.compile(r"^(\d{1,3})\s*%$")
_YES = {"yes", "y", "true", "on", "1", "sí", "si", "oui", "sim"}
_NO = {"no", "n", "false", "off", "0", "non", "não", "nao"}


@dataclass(frozen=True)
class Draft:
    """A poll as typed, checked, not saved yet."""

    kind: str
    question: str
    options: tuple[str, ...]  # the texts; for a time poll, UTC instants in ISO form
    closes_at: datetime
    timezone: str
    quorum: str = ""
    threshold: str = ""
    max_choices: int = 1
    voters: str = "room"
    hidden: bool = False
    secret: bool = False


def read_share(text: str) -> Fraction:
    """`2/3` or `60%` as a fraction in (0, 1]; UsageError otherwise."""
    cleaned = text.strip()
    match = _FRACTION_RE.match(cleaned)
    percent = _PERCENT_RE.match(cleaned)
    value: Fraction | None = None
    if match and int(match.group(2)) > 0:
        value = Fraction(int(match.group(1)), int(match.group(2)))
    elif percent:
        value = Fraction(int(percent.group(1)), 100)
    if value is None or not 0 < value <= 1:
        raise UsageError(
            _("“{typed}” is not a share: write it like `2/3` or `60%`.").format(
                typed=md_escape(cleaned[:20])
            )
        )
    return value


def read_quorum(text: str) -> str:
    """`50%` (a share of who may vote) or `12` (a number of voters), normalised."""
    cleaned = text.strip()
    if cleaned.isdecimal() and len(cleaned) <= 6 and int(cleaned) >= 1:
        return str(int(cleaned))
    if _PERCENT_RE.match(cleaned):
        share = read_share(cleaned)
        return f"{share.numerator * 100 // share.denominator}%"
    raise UsageError(
        _("“{typed}” is not a quorum: write a share like `50%` or a number like `12`.").format(
            typed=md_escape(cleaned[:20])
        )
    )


def _yes_no(name: str, text: str) -> bool:
    word = fold(text.strip())
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise UsageError(_("`{field}` is `yes` or `no`.").format(field=name))


def _choice_of(name: str, text: str, allowed: tuple[str, ...]) -> str:
    word = fold(text.strip())
    if word in allowed:
        return word
    listed = ", ".join(f"`{a}`" for a in allowed)
    raise UsageError(_("`{field}` is one of {listed}.").format(field=name, listed=listed))


def _question(text: str) -> str:
    question = one_line(text).strip()
    if not question:
        raise UsageError(_("The question is empty."))
    if len(question) > MAX_QUESTION_LENGTH:
        raise UsageError(
            _("The question is too long: at most {count} characters.").format(
                count=MAX_QUESTION_LENGTH
            )
        )
    return question


def _texts(text: str) -> tuple[str, ...]:
    """Options separated by `;`, each checked: 2 to 20, none empty, too long or repeated."""
    options = tuple(one_line(part).strip() for part in text.split(";"))
    options = tuple(o for o in options if o)
    if not 2 <= len(options) <= MAX_OPTIONS:
        raise UsageError(
            _("A poll has 2 to {most} options, separated by `;`.").format(most=MAX_OPTIONS)
        )
    if any(len(o) > MAX_OPTION_LENGTH for o in options):
        raise UsageError(
            _("An option is too long: at most {count} characters.").format(count=MAX_OPTION_LENGTH)
        )
    folded = [fold(o) for o in options]
    if len(set(folded)) != len(folded):
        raise UsageError(_("Two options are the same: each option once."))
    return options


def read_instant(text: str, tz_name: str, now: datetime) -> datetime:
    tz = zone(tz_name)
    local = parse_local(text)
    if not exists(local, tz):
        raise UsageError(
            _("{typed} does not happen in {zone}: the clocks skip it.").format(
                typed=md_escape(text.strip()), zone=tz_name
            )
        )
    moment = to_utc(local, tz)
    if moment <= now:
        raise UsageError(_("{typed} is in the past.").format(typed=md_escape(text.strip())))
    if moment > now + LONGEST:
        raise UsageError(_("{typed} is more than a year ahead.").format(typed=md_escape(text)))
    return moment


def _times(text: str, tz_name: str, now: datetime) -> tuple[str, ...]:
    """The options of a time poll: instants in UTC, ISO, in the order typed."""
    parts = _texts(text)
    moments = [read_instant(part, tz_name, now) for part in parts]
    if len(set(moments)) != len(moments):
        raise UsageError(_("Two options are the same time: each time once."))
    return tuple(m.isoformat() for m in moments)


def read_draft(fields: Mapping[str, str], now: datetime, default_zone: str) -> Draft:
    """The poll the fields describe; every problem at once as a UsageError."""
    problems: list[str] = []

    def check(name: str, read: object) -> object:
        try:
            return read() if callable(read) else read
        except UsageError as error:
            problems.append(f"`{name}`: {error}")
            return None

    kind = check("kind", lambda: _choice_of("kind", fields.get("kind", ""), KINDS))
    tz_name = str(check("tz", lambda: zone(fields.get("tz") or default_zone).key) or "UTC")
    question = check("question", lambda: _question(fields.get("question", "")))
    options = check("options", lambda: _options(str(kind), fields, tz_name, now)) if kind else None
    closes = check("closes", lambda: _closes(fields.get("closes", ""), tz_name, now))
    extras = check("voters", lambda: _extras(fields))
    quorum = check("quorum", lambda: read_quorum(fields["quorum"]) if "quorum" in fields else "")
    threshold = check("threshold", lambda: _threshold(fields.get("threshold", "")))
    if problems or kind is None or not isinstance(options, tuple):
        raise UsageError("\n".join(f"- {p}" for p in problems))
    most = check("max", lambda: _max_choices(str(kind), fields.get("max", ""), len(options)))
    if problems:
        raise UsageError("\n".join(f"- {p}" for p in problems))
    voters, hidden, secret = cast(tuple[str, bool, bool], extras)
    return Draft(
        kind=str(kind),
        question=str(question),
        options=options,
        closes_at=closes,  # type: ignore[arg-type]
        timezone=tz_name,
        quorum=str(quorum),
        threshold=str(threshold),
        max_choices=int(most),  # type: ignore[call-overload]
        voters=voters,
        hidden=hidden,
        secret=secret,
    )


def _options(kind: str, fields: Mapping[str, str], tz_name: str, now: datetime) -> tuple[str, ...]:
    typed = fields.get("options", "")
    if kind == "proposal":
        if typed.strip():
            raise UsageError(
                _(
                    "A proposal has its own options (agree, abstain, disagree, block): leave "
                    "`options` out."
                )
            )
        return ("agree", "abstain", "disagree", "block")
    if kind == "time":
        return _times(typed, tz_name, now)
    return _texts(typed)


def _closes(text: str, tz_name: str, now: datetime) -> datetime:
    if not text.strip():
        raise UsageError(_("When does the poll close? Write it like `2027-01-15 18:00`."))
    moment = read_instant(text, tz_name, now)
    if moment < now + SHORTEST:
        raise UsageError(_("A poll stays open at least a minute."))
    return moment


def _threshold(text: str) -> str:
    if not text.strip():
        return ""
    share = read_share(text)
    return f"{share.numerator}/{share.denominator}"


def _extras(fields: Mapping[str, str]) -> tuple[str, bool, bool]:
    voters = _choice_of("voters", fields.get("voters") or "room", ("room", "organisations"))
    results = _choice_of("results", fields.get("results") or "live", ("live", "hidden"))
    secret = _yes_no("secret", fields["secret"]) if "secret" in fields else False
    return voters, results == "hidden", secret


def _max_choices(kind: str, text: str, options: int) -> int:
    if kind == "time":
        return options  # tick every time you can make
    if kind != "multiple":
        if text.strip() and text.strip() != "1":
            raise UsageError(_("Only a `multiple` poll takes `max`."))
        return 1
    if not text.strip():
        return options
    cleaned = text.strip()
    if not cleaned.isdecimal() or not 2 <= int(cleaned[:4]) <= options:
        raise UsageError(
            _("`max` is a number from 2 to the number of options ({count}).").format(count=options)
        )
    return int(cleaned)
