"""Meetings as an iCalendar file (RFC 5545) that any calendar app can import."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from natm_bot.calendar.recurrence import Schedule
from natm_bot.calendar.rrules import ics_rule
from natm_bot.config.settings import Config
from natm_bot.core.text import neutralise
from natm_bot.storage.meetings import Meeting


def calendar(meetings: Sequence[Meeting], domain: str, now: datetime) -> bytes:
    """An .ics with one VEVENT per meeting, its RRULE, cancelled dates and VTIMEZONEs."""
    cal = Calendar()
    cal.add("prodid", "-//NATM//natm-bot//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "NATM meetings")
    for meeting in meetings:
        tz = ZoneInfo(meeting.timezone)
        # The calendar says what the bot announces: its first date (which an older version
        # may have stored off its rule) and the rule as the bot keeps it, or none at all.
        schedule = Schedule(meeting.start_local, meeting.timezone, meeting.rrule)
        first = schedule.first_local()
        if first is None:
            continue
        event = Event()
        event.add("uid", f"meeting-{meeting.id}@{domain}")
        event.add("dtstamp", now.astimezone(UTC))
        # Stored text is checked, but an older database may hold control characters.
        event.add("summary", neutralise(meeting.title))
        if meeting.description:
            event.add("description", neutralise(meeting.description))
        if meeting.link:
            event.add("url", neutralise(meeting.link))
            event.add("location", neutralise(meeting.link))
        event.add("dtstart", first.replace(tzinfo=tz))
        event.add("duration", timedelta(minutes=meeting.duration_minutes))
        if schedule.usable_rule:
            event.add("rrule", vRecur.from_ical(ics_rule(schedule.usable_rule, tz)))
        for skipped in sorted(meeting.exceptions):
            event.add("exdate", datetime.fromtimestamp(skipped, UTC).astimezone(tz))
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def calendar_domain(config: Config) -> str:
    """The domain in calendar event ids: the bot's homeserver name."""
    return config.matrix.user_id.split(":", 1)[1] if config.matrix else "natm-bot"
