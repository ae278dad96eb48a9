"""Recurring meetings: RRULEs expanded in the meeting's own zone, so DST moves UTC, not 18:00."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from natm_bot.errors import UsageError
from natm_bot.rendering import md_escape
from natm_bot.timeutil import to_utc

_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "last": -1,
}  # fmt: skip
_DAYS = {
    "monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH",
    "friday": "FR", "saturday": "SA", "sunday": "SU",
}  # fmt: skip
_EVERY_RE = re.compile(r"^every\s+(\d+)\s+weeks?$")
_NTH_RE = re.compile(
    r"^(?:monthly\s+(?:on\s+)?)?(?:the\s+)?(\w+)\s+(\w+?)s?(?:\s+of\s+the\s+month)?$"
)
REPEAT_HELP = (
    "`weekly`, `every 2 weeks`, `monthly` (same date), `first tuesday` (or second, third, "
    "fourth, last + a weekday), `daily`, or an RRULE such as `FREQ=WEEKLY;BYDAY=MO,TH`"
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
    if cleaned in ("biweekly", "fortnightly"):
        return "FREQ=WEEKLY;INTERVAL=2"
    if match := _EVERY_RE.match(cleaned):
        weeks = int(match.group(1))
        if not 1 <= weeks <= 52:
            raise UsageError("Repeat every 1 to 52 weeks.")
        return "FREQ=WEEKLY" if weeks == 1 else f"FREQ=WEEKLY;INTERVAL={weeks}"
    if match := _NTH_RE.match(cleaned):
        ordinal, day = _ORDINALS.get(match.group(1)), _weekday(match.group(2))
        if ordinal is not None and day is not None:
            return f"FREQ=MONTHLY;BYDAY={ordinal:+d}{day}"
    rule = text.strip().removeprefix("RRULE:").removeprefix("rrule:").upper()
    if rule.startswith("FREQ="):
        if "DTSTART" in rule or "\n" in rule:
            raise UsageError("Give the RRULE without DTSTART: the start comes from `when`.")
        try:
            rrulestr(rule, dtstart=datetime(2026, 1, 1))
        except (ValueError, TypeError) as exc:
            raise UsageError(f"That RRULE is not valid: {md_escape(str(exc))}.") from None
        return rule
    raise UsageError(f"I don't understand the repeat “{md_escape(text[:60])}”. Use {REPEAT_HELP}.")


def describe_repeat(rule: str | None) -> str:
    """A short human description of an RRULE body."""
    if rule is None:
        return "once"
    known = {
        "FREQ=DAILY": "every day",
        "FREQ=WEEKLY": "every week",
        "FREQ=MONTHLY": "every month, same date",
    }
    if rule in known:
        return known[rule]
    if match := re.fullmatch(r"FREQ=WEEKLY;INTERVAL=(\d+)", rule):
        return f"every {match.group(1)} weeks"
    if match := re.fullmatch(r"FREQ=MONTHLY;BYDAY=([+-]\d)(\w\w)", rule):
        names = {v: k for k, v in _DAYS.items()}
        ordinal = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
        which = ordinal.get(int(match.group(1)), match.group(1))
        return f"every {which} {names[match.group(2)].capitalize()} of the month"
    return f"RRULE {rule}"


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

    @cached_property
    def _rrule(self) -> rrule | None:
        if self.rule is None:
            return None
        parsed = rrulestr(self.rule, dtstart=self.start_local, cache=False)
        assert isinstance(parsed, rrule)
        return parsed

    def iter_from(self, after: datetime) -> Iterator[datetime]:
        """Occurrences (UTC) at or after `after` (UTC), in order, lazily."""
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
        start = to_utc(self.start_local, self.zone) - timedelta(days=2)
        found = self.next_after(start.astimezone(UTC))
        return found[0] if found else None
