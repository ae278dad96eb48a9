"""Times as people type and read them, in every time zone, across daylight-saving changes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import (
    format_date,
    format_datetime,
    format_timedelta,
    get_timezone_location,
)
from babel.units import format_unit

from natm_bot.calendar.zones import lookup
from natm_bot.core.durations import DurationError, DurationTooLong, parse_seconds
from natm_bot.core.errors import UsageError
from natm_bot.core.i18n import SOURCE_LANGUAGE, _, language, locale, ngettext
from natm_bot.core.markdown import md_escape

_WHEN_RE = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2})[:h.](\d{2})(?::(\d{2}))?\s*$"
)
WHEN_EXAMPLE = "2027-01-05 18:00"  # a first Tuesday, as the examples repeat
_LISTED = 8  # zones named in a "which one?"


def zone(name: str) -> ZoneInfo:
    """The zone meant by an IANA name in any case (`europe/berlin`) or a city's name in
    English, Spanish, French or Portuguese (`Berlín`, `sao paulo`); a friendly error with
    examples when there is none, or a "which one?" when a name fits several."""
    cleaned = " ".join(name.split())
    shown = md_escape(cleaned[:60])
    found = lookup(cleaned)
    if len(found) > 1:
        listed = ", ".join(f"`{key}`" for key in found[:_LISTED])
        if len(found) > _LISTED:
            rest = len(found) - _LISTED
            more = ngettext("{listed} and {count} more", "{listed} and {count} more", rest)
            listed = more.format(listed=listed, count=rest)
        which = _(
            "“{typed}” could be several time zones: which one? {zones}. "
            "Type its full name or the city's whole name."
        )
        raise UsageError(which.format(typed=shown, zones=listed))
    try:
        if found:
            return ZoneInfo(found[0])
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    unknown = _(
        "“{typed}” is not a time zone I know. Use a city's name like `Berlin` or "
        "`Ciudad de México`, or an IANA name like `Europe/Berlin`, `America/Mexico_City`, "
        "`Africa/Nairobi` or `UTC`."
    )
    raise UsageError(unknown.format(typed=shown))


def parse_local(text: str) -> datetime:
    """A naive wall-clock time from `YYYY-MM-DD HH:MM`, with clear errors for impossible dates."""
    match = _WHEN_RE.match(text)
    if not match:
        hint = _("Write the date and time as `{example}` (year-month-day hour:minute).")
        raise UsageError(hint.format(example=WHEN_EXAMPLE))
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        unreal = _("{typed} is not a real date or time.")
        raise UsageError(unreal.format(typed=md_escape(text.strip()))) from None


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time. In a DST gap this is the time the clock would
    show had it not jumped (02:30 → 03:30); in a repeated hour, the first of the two."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def exists(local: datetime, tz: ZoneInfo) -> bool:
    """Whether the wall-clock time really happens in the zone (not skipped by a DST jump)."""
    return to_utc(local, tz).astimezone(tz).replace(tzinfo=None) == local


def parse_span(text: str, *, allow_zero: bool = False) -> int:
    """Minutes from `90m`, `1h30m`, `2h`, `1d`, `0` (a bare number is minutes)."""
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned in ("now", "start") and allow_zero:
        return 0
    shown = md_escape(text[:30])
    try:
        seconds = parse_seconds(cleaned, bare="m")
    except DurationError as exc:
        problem = _("“{typed}” is far too long a time; write e.g. `90m`, `1h30m` or `2d`.")
        if not isinstance(exc, DurationTooLong):
            problem = _("“{typed}” is not a length of time; write e.g. `90m`, `1h30m` or `2d`.")
        raise UsageError(problem.format(typed=shown)) from None
    if seconds % 60:
        text = _("“{typed}” is not whole minutes; write e.g. `90m` or `1h30m`.")
        raise UsageError(text.format(typed=shown))
    if seconds == 0 and not allow_zero:
        raise UsageError(_("A duration must be longer than zero, e.g. `60m`."))
    return seconds // 60


def span_text(minutes: int) -> str:
    """`1 day`, `1 hour`, `1 h 30 min` (`1 día`, `2 heures`…) in the language in force."""
    if minutes % 1440 == 0 and minutes:
        return format_unit(minutes // 1440, "duration-day", locale=locale())
    if minutes % 60 == 0 and minutes:
        return format_unit(minutes // 60, "duration-hour", locale=locale())
    if minutes > 60:
        hours = format_unit(minutes // 60, "duration-hour", length="narrow", locale=locale())
        rest = format_unit(minutes % 60, "duration-minute", length="short", locale=locale())
        if language() == SOURCE_LANGUAGE:
            hours = f"{minutes // 60} h"  # English as it always read: `1 h 30 min`
        return f"{hours} {rest}"
    return format_unit(minutes, "duration-minute", length="short", locale=locale())


def relative(moment: datetime, now: datetime) -> str:
    """`in 3 days`, `in 2 hours`, `in 5 minutes`, `now`, `2 hours ago`, by CLDR."""
    seconds = (moment - now).total_seconds()
    sign = 1 if seconds >= 0 else -1
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size) if unit != "day" else int(seconds // size)
            span = timedelta(seconds=sign * count * size)
            return format_timedelta(span, threshold=1, add_direction=True, locale=locale())
    return _("now")


def clock_in(moment: datetime, tz_name: str, day: date | None = None) -> str:
    """`18:00` in the zone, with the weekday added when the local date is not `day`."""
    local = moment.astimezone(ZoneInfo(tz_name))
    text = f"{local:%H:%M}"
    if day is not None and local.date() != day:
        text += " " + format_datetime(local, "EEE", locale=locale())
    return text


def place(tz_name: str) -> str:
    """A zone's city in the language in force: `America/Mexico_City` → `Mexico City`,
    `Ciudad de México`; CLDR's name, else the zone's last part."""
    try:
        return str(get_timezone_location(tz_name, locale=locale(), return_city=True))
    except LookupError:
        return tz_name.rsplit("/", 1)[-1].replace("_", " ")


def full_time(moment: datetime, tz_name: str) -> str:
    """`Tue 8 Dec 2026, 18:00 (Europe/Berlin)`; `martes, 8 de diciembre de 2026, 18:00
    (Berlín)` in Spanish: the full date by CLDR, the zone's city in that language."""
    local = moment.astimezone(ZoneInfo(tz_name))
    if language() == SOURCE_LANGUAGE:
        return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({tz_name})"
    # Date, comma, time in every language: CLDR joins them without a comma in Portuguese,
    # which then reads as one run of words and numbers ("… de 2026 18:00").
    stamp = f"{format_date(local, 'full', locale=locale())}, {local:%H:%M}"
    return f"{stamp} ({place(tz_name)})"


def long_date(day: date) -> str:
    """`8 Dec 2026`; `8 de diciembre de 2026`, `8 décembre 2026`: a date inside a sentence."""
    if language() == SOURCE_LANGUAGE:
        return f"{day.day} {day:%b %Y}"
    return str(format_date(day, "long", locale=locale()))


def long_date_time(moment: datetime) -> str:
    """`8 Dec 2026, 17:00`; `8 de diciembre de 2026, 17:00`: the moment's own date and time."""
    return f"{long_date(moment.date())}, {moment:%H:%M}"
