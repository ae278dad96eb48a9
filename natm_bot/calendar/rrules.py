"""RRULEs the bot can keep: at most one date a day, always moving on, bounded, and checked
without ever walking the calendar for long.

dateutil looks for the next date of a rule one day, week, month or year at a time, and keeps
looking until the year 9999 when no date comes: with FREQ=DAILY;INTERVAL=0 it never stops, and
a rule that matches nothing takes seconds. So rules are held to a small grammar in which every
search ends soon (every frequency is daily or rarer, INTERVAL bounded, no BYHOUR or BYWEEKNO…),
and the dates of a new rule are tried on the same calendar moved thousands of years ahead,
where a search for a date that never comes ends at the year 9999 within milliseconds.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from natm_bot.core.errors import UsageError
from natm_bot.core.i18n import N_, _
from natm_bot.core.markdown import md_escape

FIRST_YEAR, LAST_YEAR = 1970, 2199  # far from the ends of Python's calendar
MAX_COUNT = 1000
MAX_UNTIL_YEARS = 10
MAX_GAP = timedelta(days=366)  # a repeating meeting takes place at least once a year
INTERVALS = {"DAILY": 365, "WEEKLY": 52, "MONTHLY": 12, "YEARLY": 1}
# What each frequency may narrow its dates down with; everything else is refused. BYHOUR,
# BYMINUTE and BYSECOND would repeat within a day; BYYEARDAY, BYWEEKNO and BYMONTH below YEARLY
# can leave years between two dates, or none at all.
NARROWING = {
    "DAILY": ("BYDAY",),
    "WEEKLY": ("BYDAY",),
    "MONTHLY": ("BYDAY", "BYMONTHDAY", "BYSETPOS"),
    "YEARLY": ("BYMONTH", "BYDAY", "BYMONTHDAY", "BYSETPOS"),
}
_COMMON = ("INTERVAL", "COUNT", "UNTIL", "WKST")
_WITHIN_A_DAY = ("SECONDLY", "MINUTELY", "HOURLY", "BYHOUR", "BYMINUTE", "BYSECOND")
AT_MOST_DAILY = N_(
    "Meetings repeat at most once a day, at the time given in `when`: use FREQ=DAILY, WEEKLY, "
    "MONTHLY or YEARLY, without BYHOUR, BYMINUTE or BYSECOND."
)
_VALUE_RE = {
    "BYDAY": re.compile(r"^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$"),
    "BYMONTHDAY": re.compile(r"^[+-]?([1-9]|[12]\d|3[01])$"),
    "BYMONTH": re.compile(r"^([1-9]|1[0-2])$"),
    "BYSETPOS": re.compile(r"^[+-]?([1-9]\d?|[12]\d\d|3[0-5]\d|36[0-6])$"),
    "WKST": re.compile(r"^(MO|TU|WE|TH|FR|SA|SU)$"),
}
_UNTIL_RE = re.compile(r"^(\d{8})(?:T(\d{6})(Z?))?$")
CYCLE_YEARS = 400  # the Gregorian calendar repeats itself, weekdays included, every 400 years
_FAR_YEAR = 9200  # rules are tried on the calendar moved to between 9200 and 9599
HORIZON = timedelta(days=29 * 365)  # every kind of year (weekday of 1 January, leap or not)
WALK_LIMIT = 400  # dates looked at when trying a rule


def normalise_rule(text: str) -> str:
    """The RRULE body as the bot keeps it, or a UsageError saying what is wrong with it."""
    parts: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in text.upper().split(";"))):
        key, _sep, value = (s.strip() for s in item.partition("="))
        if not key or not value:
            bad = _("“{item}” is not NAME=VALUE in that RRULE.")
            raise UsageError(bad.format(item=md_escape(item[:30])))
        if key in parts:
            twice = _("{name} is given twice in that RRULE.")
            raise UsageError(twice.format(name=md_escape(key[:20])))
        parts[key] = value
    freq = parts.get("FREQ", "")
    if freq in _WITHIN_A_DAY or any(key in parts for key in _WITHIN_A_DAY):
        raise UsageError(_(AT_MOST_DAILY))
    if freq not in INTERVALS:
        raise UsageError(_("An RRULE needs FREQ=DAILY, WEEKLY, MONTHLY or YEARLY."))
    allowed = ("FREQ", *_COMMON, *NARROWING[freq])
    if unknown := [key for key in parts if key not in allowed]:
        refused = _("{names} cannot be used with FREQ={freq}; it may use {allowed}.")
        raise UsageError(
            refused.format(
                names=md_escape(", ".join(unknown)[:60]),
                freq=freq,
                allowed=", ".join((*_COMMON, *NARROWING[freq])),
            )
        )
    for key, value in parts.items():
        parts[key] = _checked_value(freq, key, value, parts)
    if "COUNT" in parts and "UNTIL" in parts:
        raise UsageError(_("Give COUNT or UNTIL, not both."))
    return ";".join(f"{key}={parts[key]}" for key in allowed if key in parts)


def _checked_value(freq: str, key: str, value: str, parts: dict[str, str]) -> str:
    if key in ("INTERVAL", "COUNT"):
        most = INTERVALS[freq] if key == "INTERVAL" else MAX_COUNT
        if not re.fullmatch(r"\d{1,6}", value) or not 1 <= int(value) <= most:
            if key == "COUNT":
                raise UsageError(_("COUNT must be 1 to {most}.").format(most=MAX_COUNT))
            if most == 1:
                no_interval = _("FREQ={freq} takes no INTERVAL: at least once a year.")
                raise UsageError(no_interval.format(freq=freq))
            interval = _("INTERVAL must be 1 to {most} for FREQ={freq}.")
            raise UsageError(interval.format(most=most, freq=freq))
        return str(int(value))
    if key == "UNTIL":
        return _until(value)
    if key == "FREQ":
        return value
    items = value.split(",")
    bad = [item for item in items if not _VALUE_RE[key].match(item)]
    if bad:
        invalid = _("{name}={value} is not valid in an RRULE.")
        raise UsageError(invalid.format(name=key, value=md_escape(value[:40])))
    return _weekdays(freq, items, parts) if key == "BYDAY" else value


def _weekdays(freq: str, items: list[str], parts: dict[str, str]) -> str:
    if freq in ("DAILY", "WEEKLY") and any(len(item) > 2 for item in items):
        numbered = _("Numbered weekdays (like 1TU) need FREQ=MONTHLY, not {freq}.")
        raise UsageError(numbered.format(freq=freq))
    # Every few days on some weekdays could skip those weekdays for ever.
    if freq == "DAILY" and not re.fullmatch(r"0*1", parts.get("INTERVAL", "1")):
        raise UsageError(_("For BYDAY every few days, use FREQ=WEEKLY;INTERVAL=…;BYDAY=…."))
    # `1TU` and `+1TU` are the same day: one spelling, which describe_repeat reads
    return ",".join(f"{int(i[:-2]):+d}{i[-2:]}" if len(i) > 2 else i for i in items)


def _until(value: str) -> str:
    """UNTIL as a local time (a bare date means the end of that day), or in UTC with `Z`."""
    match = _UNTIL_RE.match(value)
    try:
        if match is None:
            raise ValueError(value)
        moment = datetime.strptime(match.group(1) + (match.group(2) or "235959"), "%Y%m%d%H%M%S")
    except ValueError:
        raise UsageError(
            _("UNTIL must be a date like 20271231 (or 20271231T180000, Z for UTC).")
        ) from None
    return f"{moment:%Y%m%dT%H%M%S}" + (match.group(3) or "")


def _until_moment(rule: str) -> tuple[datetime, bool] | None:
    match = re.search(r"UNTIL=(\d{8}T\d{6})(Z?)", rule)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S"), bool(match.group(2))


def local_rule(rule: str, zone: ZoneInfo) -> str:
    """The rule as dateutil expands it in local wall time: an UNTIL in UTC made local."""
    until = _until_moment(rule)
    if until is None or not until[1]:
        return rule
    local = until[0].replace(tzinfo=UTC).astimezone(zone)
    return re.sub(r"UNTIL=\w+", f"UNTIL={local:%Y%m%dT%H%M%S}", rule)


def ics_rule(rule: str, zone: ZoneInfo) -> str:
    """The rule as RFC 5545 wants it next to a DTSTART with a zone: UNTIL in UTC."""
    until = _until_moment(rule)
    if until is None or until[1]:
        return rule
    moment = until[0].replace(tzinfo=zone, fold=0).astimezone(UTC)
    return re.sub(r"UNTIL=\w+", f"UNTIL={moment:%Y%m%dT%H%M%SZ}", rule)


def until_problem(start: datetime, rule: str, zone: ZoneInfo) -> str | None:
    """Why the rule's UNTIL cannot be, counted from the (local) start."""
    until = _until_moment(local_rule(rule, zone))
    if until is None:
        return None
    if until[0] < start:
        return _("UNTIL ({until}) is before the start.").format(until=f"{until[0]:%Y-%m-%d %H:%M}")
    if until[0] > start + timedelta(days=round(365.25 * MAX_UNTIL_YEARS)):
        return _(
            "UNTIL can be at most {years} years after the start; leave it out to repeat for good."
        ).format(years=MAX_UNTIL_YEARS)
    return None


Gap = tuple[datetime, datetime | None]  # two dates too far apart; None: no date after the first


@dataclass(frozen=True)
class Trial:
    """What trying a rule from a start found (local wall times)."""

    first: datetime | None  # the rule's first date, None if it never has one
    gap: Gap | None  # the first two dates too far apart
    on_or_after: datetime | None  # its first date on or after the time asked about


def trial(start: datetime, rule: str, not_before: datetime | None = None) -> Trial:
    """Try a (normalised, local) rule from `start`, quickly, whatever it is."""
    shift = -((start.year - _FAR_YEAR) // CYCLE_YEARS) * CYCLE_YEARS
    moved = _moved(rule, start, shift)
    dates: list[datetime] = []
    for moment in moved:
        dates.append(moment)
        if moment > dates[0] + HORIZON or len(dates) >= WALK_LIMIT:
            break
    after = dates[0] if dates else None
    if not_before is not None and not_before > start:
        after = moved.after(_years(not_before, shift), inc=True)
    gap = _gap(rule, dates)
    return Trial(
        first=_years(dates[0], -shift) if dates else None,
        gap=(_years(gap[0], -shift), gap[1] and _years(gap[1], -shift)) if gap else None,
        on_or_after=_years(after, -shift) if after else None,
    )


def _moved(rule: str, start: datetime, shift: int) -> rrule:
    moved_rule = re.sub(r"UNTIL=(\d{4})", lambda m: f"UNTIL={int(m.group(1)) + shift}", rule)
    parsed = rrulestr(moved_rule, dtstart=_years(start, shift), cache=False)
    assert isinstance(parsed, rrule)
    return parsed


def _gap(rule: str, dates: list[datetime]) -> Gap | None:
    """The first two dates more than MAX_GAP apart; or the last one, when a rule without an
    end stops having dates before the trial's horizon."""
    for earlier, later in itertools.pairwise(dates):
        if later - earlier > MAX_GAP:
            return earlier, later
    unending = "COUNT=" not in rule and "UNTIL=" not in rule
    if unending and dates and dates[-1] <= dates[0] + HORIZON and len(dates) < WALK_LIMIT:
        return dates[-1], None
    return None


def _years(moment: datetime, years: int) -> datetime:
    return moment.replace(year=moment.year + years)
