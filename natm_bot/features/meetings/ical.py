"""Meetings as an iCalendar file (RFC 5545) that any calendar app can import or subscribe to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from natm_bot.calendar.recurrence import Schedule
from natm_bot.calendar.rrules import ics_rule
from natm_bot.config.settings import Config
from natm_bot.core.i18n import _
from natm_bot.core.text import neutralise, without_matrix_ids
from natm_bot.storage.meetings import Meeting

# How often a subscribed calendar app should fetch a feed again (apps may take longer);
# X-PUBLISHED-TTL says the same to the apps that read only that.
FEED_REFRESH = timedelta(hours=1)


def calendar(
    meetings: Sequence[Meeting],
    domain: str,
    now: datetime,
    *,
    name: str = "NATM meetings",
    public: bool = False,
    minutes: Mapping[int, Mapping[int, str]] | None = None,
) -> bytes:
    """An .ics with one VEVENT per meeting, its RRULE, cancelled dates and VTIMEZONEs.

    `public`: a feed anyone may read: refresh hints for subscribed apps, no call links
    (they are given in the rooms) and no Matrix ids in the descriptions. `minutes`: for a
    meeting, the address of the minutes of each occurrence held, added to that date's
    description (the whole event's for a single date, else an override of that date)."""
    cal = Calendar()
    cal.add("prodid", "-//NATM//natm-bot//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    if public:
        cal.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
    for meeting in meetings:
        event = _event(meeting, domain, now, public)
        if event is not None:
            cal.add_component(event)
            links = (minutes or {}).get(meeting.id, {})
            for held in _minutes_dates(event, meeting, links):
                cal.add_component(held)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _event(meeting: Meeting, domain: str, now: datetime, public: bool) -> Event | None:
    """The meeting's VEVENT; None when its rule yields no date at all."""
    tz = ZoneInfo(meeting.timezone)
    # The calendar says what the bot announces: its first date (which an older version
    # may have stored off its rule) and the rule as the bot keeps it, or none at all.
    schedule = Schedule(meeting.start_local, meeting.timezone, meeting.rrule)
    first = schedule.first_local()
    if first is None:
        return None
    # Stored text is checked, but an older database may hold control characters.
    shown = (lambda text: without_matrix_ids(neutralise(text))) if public else neutralise
    event = Event()
    # The same UID in every calendar and feed, so an updated meeting replaces its event.
    event.add("uid", f"meeting-{meeting.id}@{domain}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("summary", shown(meeting.title))
    if meeting.description:
        event.add("description", shown(meeting.description))
    if meeting.link and not public:
        event.add("url", neutralise(meeting.link))
        event.add("location", neutralise(meeting.link))
    event.add("dtstart", first.replace(tzinfo=tz))
    event.add("duration", timedelta(minutes=meeting.duration_minutes))
    if schedule.usable_rule:
        event.add("rrule", vRecur.from_ical(ics_rule(schedule.usable_rule, tz)))
    for skipped in sorted(meeting.exceptions):
        event.add("exdate", datetime.fromtimestamp(skipped, UTC).astimezone(tz))
    return event


def _minutes_dates(event: Event, meeting: Meeting, links: Mapping[int, str]) -> list[Event]:
    """Each occurrence's link to its minutes: in the event's own description when it has a
    single date, else in an override of that date (RECURRENCE-ID)."""
    tz = ZoneInfo(meeting.timezone)
    overrides = []
    for occurrence, url in sorted(links.items()):
        if occurrence in meeting.exceptions:
            continue
        line = _("Minutes: {url}").format(url=url)
        said = str(event.get("description", ""))
        text = f"{said}\n\n{line}" if said else line
        if "rrule" not in event:
            event.pop("description", None)
            event.add("description", text)
            continue
        start = datetime.fromtimestamp(occurrence, UTC).astimezone(tz)
        held = Event()
        for key in ("uid", "dtstamp", "summary"):
            held[key] = event[key]
        held.add("description", text)
        held.add("recurrence-id", start)
        held.add("dtstart", start)
        held.add("duration", timedelta(minutes=meeting.duration_minutes))
        overrides.append(held)
    return overrides


def calendar_domain(config: Config) -> str:
    """The domain in calendar event ids: the bot's homeserver name."""
    return config.matrix.user_id.split(":", 1)[1] if config.matrix else "natm-bot"
