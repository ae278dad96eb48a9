"""Recurring meetings: RRULEs expanded in the meeting's own zone, so DST moves UTC, not 18:00."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from dateutil.rrule import rrule, rrulestr

from natm_bot.calendar.rrules import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_COUNT,
    MAX_UNTIL_YEARS,
    Trial,
    local_rule,
    normalise_rule,
    trial,
    until_problem,
)
from natm_bot.calendar.timeutil import to_utc
from natm_bot.core.errors import UsageError
from natm_bot.core.i18n import N_, _, language, locale, ngettext
from natm_bot.core.markdown import md_escape

_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "last": -1,
}  # fmt: skip
_DAYS = {
    "monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH",
    "friday": "FR", "saturday": "SA", "sunday": "SU",
}  # fmt: skip
_EVERY_RE = re.compile(r"^every\s+(\d+)\s+weeks?$")
_LAST_DAY_RE = re.compile(
    r"^(?:monthly\s+|every\s+)?(?:on\s+)?(?:the\s+)?last\s+day(?:\s+of\s+(?:the|each|every)\s+month)?$"
)
LAST_DAY_RULE = "FREQ=MONTHLY;BYMONTHDAY=-1"
_NTH_RE = re.compile(
    r"^(?:monthly\s+(?:on\s+)?)?(?:the\s+)?(\w+)\s+(\w+?)s?(?:\s+of\s+the\s+month)?$"
)
REPEAT_HELP = N_(
    "`weekly`, `every 2 weeks`, `monthly` (same date), `monthly on the last day`, "
    "`first tuesday` (or second, third, fourth, last + a weekday), `daily`, or an RRULE such "
    "as `FREQ=WEEKLY;BYDAY=MO,TH` "
    "(at most once a day, at least once a year; `COUNT` up to {count} or `UNTIL` up to "
    "{years} years after the start). `when` must be one of its dates"
)


def _weekday(word: str) -> str | None:
    matches = [code for name, code in _DAYS.items() if name.startswith(word) and len(word) >= 2]
    return matches[0] if len(matches) == 1 else None


def parse_repeat(text: str) -> str | None:
    """An RRULE body (no DTSTART) from what an organiser types; None for a one-off."""
    cleaned = " ".join(text.strip().lower().split())
    if cleaned in ("", "none", "once", "no", "never"):
        return None
    simple = {"daily": "FREQ=DAILY", "weekly": "FREQ=WEEKLY", "monthly": "FREQ=MONTHLY"}
    if cleaned in simple:
        return simple[cleaned]
    if _LAST_DAY_RE.match(cleaned):
        return LAST_DAY_RULE
    if cleaned in ("biweekly", "fortnightly"):
        return "FREQ=WEEKLY;INTERVAL=2"
    if match := _EVERY_RE.match(cleaned):
        weeks = int(match.group(1))
        if not 1 <= weeks <= 52:
            raise UsageError(_("Repeat every 1 to 52 weeks."))
        return "FREQ=WEEKLY" if weeks == 1 else f"FREQ=WEEKLY;INTERVAL={weeks}"
    if match := _NTH_RE.match(cleaned):
        ordinal, day = _ORDINALS.get(match.group(1)), _weekday(match.group(2))
        if ordinal is not None and day is not None:
            return f"FREQ=MONTHLY;BYDAY={ordinal:+d}{day}"
    rule = re.sub(r"^rrule:", "", text.strip(), flags=re.IGNORECASE)
    if "=" in rule:
        if "DTSTART" in rule.upper() or "\n" in rule:
            raise UsageError(_("Give the RRULE without DTSTART: the start comes from `when`."))
        rule = normalise_rule(rule)
        try:  # what the grammar lets through, dateutil must understand too
            rrulestr(local_rule(rule, ZoneInfo("UTC")), dtstart=datetime(2026, 1, 1))
        except (ValueError, TypeError):
            invalid = _("That RRULE is not valid. Use {help}.")
            raise UsageError(invalid.format(help=repeat_help())) from None
        return rule
    unknown = _("I don't understand the repeat “{typed}”. Use {help}.")
    raise UsageError(unknown.format(typed=md_escape(text[:60]), help=repeat_help()))


def repeat_help() -> str:
    """What `repeat=` takes, in the reader's language."""
    return _(REPEAT_HELP).format(count=MAX_COUNT, years=MAX_UNTIL_YEARS)


def describe_repeat(rule: str | None) -> str:
    """A short human description of an RRULE body."""
    if rule is None:
        return _("once")
    if rule in _KNOWN:
        return _(_KNOWN[rule])
    if match := re.fullmatch(r"FREQ=WEEKLY;INTERVAL=(\d+)", rule):
        weeks = int(match.group(1))
        return ngettext("every {count} week", "every {count} weeks", weeks).format(count=weeks)
    if match := re.fullmatch(r"FREQ=MONTHLY;BYDAY=([+-]\d)(\w\w)", rule):
        which = _MONTHLY.get(int(match.group(1)))
        if which is not None:
            return _(which).format(weekday=_day_name(match.group(2)))
    return f"RRULE {rule}"


_KNOWN = {
    "FREQ=DAILY": N_("every day"),
    "FREQ=WEEKLY": N_("every week"),
    "FREQ=MONTHLY": N_("every month, same date"),
    LAST_DAY_RULE: N_("every month, on its last day"),
}
_MONTHLY = {
    1: N_("every first {weekday} of the month"),
    2: N_("every second {weekday} of the month"),
    3: N_("every third {weekday} of the month"),
    4: N_("every fourth {weekday} of the month"),
    -1: N_("every last {weekday} of the month"),
}
_WEEKDAY_INDEX = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


def _day_name(code: str) -> str:
    """A weekday's name in the reader's language (CLDR): `Tuesday`, `martes`, `mardi`."""
    return str(get_day_names("wide", locale=locale())[_WEEKDAY_INDEX[code]])


def date_kind(rule: str) -> str:
    """What each date of a rule is: `a first Tuesday`, `a Monday or Thursday`."""
    parts = dict(part.partition("=")[::2] for part in rule.split(";"))
    days = parts.get("BYDAY", "").split(",")
    simple = set(parts) <= {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY"}
    if simple and parts.get("FREQ") == "MONTHLY" and len(days) == 1 and len(days[0]) > 2:
        which = _NTH_DAY.get(int(days[0][:-2]))
        if which is not None:
            return _(which).format(weekday=_day_name(days[0][-2:]))
    if simple and parts.get("FREQ") in ("DAILY", "WEEKLY") and days != [""]:
        listed = [_day_name(day) for day in days]
        if len(listed) > 1:
            first = ", ".join(listed[:-1])
            listed = [_("{first} or {last}").format(first=first, last=listed[-1])]
        return _("a {weekdays}").format(weekdays=listed[0])
    return _("a date of “{repeat}”").format(repeat=describe_repeat(rule))


_NTH_DAY = {
    1: N_("a first {weekday}"),
    2: N_("a second {weekday}"),
    3: N_("a third {weekday}"),
    4: N_("a fourth {weekday}"),
    5: N_("a fifth {weekday}"),
    -1: N_("a last {weekday}"),
}


def check_schedule(
    start: datetime, tz: str, rule: str | None, *, not_before: datetime | None = None
) -> None:
    """Refuse a start (local wall time) and repeat rule the bot could not keep, saying what
    would work; `not_before` (local) is where a suggested start may begin."""
    problem = rule_problem(start, tz, rule, strict=True, not_before=not_before)
    if problem is not None:
        raise UsageError(problem)


def rule_problem(
    start: datetime,
    tz: str,
    rule: str | None,
    *,
    strict: bool = False,
    not_before: datetime | None = None,
) -> str | None:
    """Why a start and repeat rule cannot be kept; unless `strict`, a start that is not one
    of the rule's dates is let pass (older versions stored such, and announce from the next)."""
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        return _("Use a year between {first} and {last}.").format(first=FIRST_YEAR, last=LAST_YEAR)
    if rule is None:
        return None
    try:
        rule = normalise_rule(rule)
    except UsageError as exc:
        return str(exc)
    zone = ZoneInfo(tz)
    if problem := until_problem(start, rule, zone):
        return problem
    found = trial(start, local_rule(rule, zone), not_before)
    if found.first is None:
        return _("With that repeat rule the meeting would never take place.")
    if (too_far := _too_far(found)) or not strict or found.first == start:
        return too_far
    return _off_rule(start, rule, found, moved_on=bool(not_before and not_before > start))


def _off_rule(start: datetime, rule: str, found: Trial, *, moved_on: bool) -> str:
    date, kind = f"{start:%Y-%m-%d}", date_kind(rule)
    suggestion = found.on_or_after
    if suggestion is None:
        none_left = _("{date} is not {kind}, and that repeat rule has no date left.")
        return none_left.format(date=date, kind=kind)
    if moved_on:
        text = _('{date} is not {kind}; the next one is {next} — use when="{when}".')
    else:
        text = _('{date} is not {kind}; the first one after it is {next} — use when="{when}".')
    return text.format(
        date=date, kind=kind, next=f"{suggestion:%Y-%m-%d}", when=f"{suggestion:%Y-%m-%d %H:%M}"
    )


def _too_far(found: Trial) -> str | None:
    if found.gap is None:
        return None
    last, following = found.gap
    if following is None:
        none_after = _("That repeat rule has no date after {date} for more than a year.")
        return none_after.format(date=f"{last:%Y-%m-%d}")
    return _(
        "That repeat rule leaves more than a year between {first} and {second}; a repeating "
        "meeting takes place at least once a year."
    ).format(first=f"{last:%Y-%m-%d}", second=f"{following:%Y-%m-%d}")


@lru_cache(maxsize=1024)
def _stored_rule_problem(start: datetime, tz: str, rule: str, lang: str) -> str | None:
    """The problem of a stored rule, as `lang` says it (cached per language)."""
    return rule_problem(start, tz, rule)


@dataclass(frozen=True)
class Schedule:
    """When something happens: a wall-clock start in an IANA zone, maybe a recurrence."""

    start_local: datetime  # naive wall-clock time in `tz`
    tz: str
    rule: str | None = None

    @cached_property
    def zone(self) -> ZoneInfo:
        """The ZoneInfo of `tz`."""
        return ZoneInfo(self.tz)

    @property
    def problem(self) -> str | None:
        """Why the start or rule, as an older version stored it, cannot be kept: then only
        the start counts, or nothing when the start itself is out of range."""
        if self.rule is None and self.in_range:
            return None
        return _stored_rule_problem(self.start_local, self.tz, self.rule or "", language())

    @cached_property
    def in_range(self) -> bool:
        """Whether the start is in the years the bot can compute with."""
        return FIRST_YEAR <= self.start_local.year <= LAST_YEAR

    @cached_property
    def usable_rule(self) -> str | None:
        """The repeat rule as it is kept, or None for a one-off (or a rule that cannot be)."""
        if self.rule is None or self.problem is not None:
            return None
        return normalise_rule(self.rule)

    @cached_property
    def _rrule(self) -> rrule | None:
        if self.usable_rule is None:
            return None
        expanded = local_rule(self.usable_rule, self.zone)
        parsed = rrulestr(expanded, dtstart=self.start_local, cache=False)
        assert isinstance(parsed, rrule)
        return parsed

    def first_local(self) -> datetime | None:
        """The first date, in wall-clock time (a calendar file's DTSTART)."""
        if not self.in_range:
            return None
        rule = self._rrule
        return self.start_local if rule is None else next(iter(rule), None)

    def iter_from(self, after: datetime) -> Iterator[datetime]:
        """Occurrences (UTC) at or after `after` (UTC), in order, lazily."""
        if not self.in_range:
            return
        rule = self._rrule
        if rule is None:
            start = to_utc(self.start_local, self.zone)
            if start >= after:
                yield start
            return
        # Expanded in local wall time (so 18:00 stays 18:00), then turned into UTC. A day of
        # margin covers any zone offset.
        local_after = (after.astimezone(self.zone) - timedelta(days=1)).replace(tzinfo=None)
        for local in rule.xafter(local_after, inc=True):
            moment = to_utc(local, self.zone)
            if moment >= after:
                yield moment

    def between(self, start: datetime, end: datetime, limit: int = 10_000) -> list[datetime]:
        """Occurrences (UTC) in [start, end)."""
        found: list[datetime] = []
        for moment in self.iter_from(start):
            if moment >= end or len(found) >= limit:
                break
            found.append(moment)
        return found

    def next_after(self, moment: datetime, count: int = 1) -> list[datetime]:
        """The next `count` occurrences at or after `moment`."""
        found: list[datetime] = []
        for occurrence in self.iter_from(moment):
            found.append(occurrence)
            if len(found) >= count:
                break
        return found

    def first(self) -> datetime | None:
        """The first occurrence, if there is any."""
        if not self.in_range:
            return None
        start = to_utc(self.start_local, self.zone) - timedelta(days=2)
        found = self.next_after(start.astimezone(UTC))
        return found[0] if found else None
