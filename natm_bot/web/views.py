"""What each public page shows, as plain values for its template: nothing private in them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from natm_bot.calendar.timeutil import clock_in, full_time, place, relative, zone
from natm_bot.config.content import Content, localized
from natm_bot.config.countries import country_name
from natm_bot.core.i18n import language
from natm_bot.core.text import without_matrix_ids
from natm_bot.features.groups.service import Group
from natm_bot.features.meetings.models import Meeting
from natm_bot.features.members.service import Organisation


@dataclass(frozen=True)
class MeetingView:
    """One upcoming occurrence of a meeting."""

    title: str
    description: str
    when: str  # in the meeting's own zone, in full
    utc: str  # `18:00`, with the weekday when the UTC date differs
    iso: str  # the start in UTC, for the reader's own zone (localtime.js)
    zones: tuple[tuple[str, str], ...]  # (place, clock) in each of the coalition's zones
    relative: str
    minutes: int
    group: str | None


def meeting_view(
    meeting: Meeting, moment: datetime, zones: Sequence[str], now: datetime
) -> MeetingView:
    """An occurrence as the page shows it."""
    day = moment.astimezone(zone(meeting.timezone)).date()
    others = tuple(
        (place(tz), clock_in(moment, tz, day))
        for tz in zones
        if tz not in (meeting.timezone, "UTC")
    )
    return MeetingView(
        title=without_matrix_ids(meeting.title),
        description=without_matrix_ids(meeting.description),
        when=full_time(moment, meeting.timezone),
        utc=clock_in(moment, "UTC", day),
        iso=moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        zones=others,
        relative=relative(moment, now),
        minutes=meeting.duration_minutes,
        group=meeting.group_id,
    )


@dataclass(frozen=True)
class GroupView:
    """A working group: what it does and how many are in it (never who)."""

    id: str
    name: str
    description: str
    members: int
    capacity: int | None
    open: bool


def group_views(groups: Sequence[Group], counts: dict[str, tuple[int, int]]) -> list[GroupView]:
    """Every group in the language in force."""
    return [
        GroupView(
            id=g.id,
            name=without_matrix_ids(g.name),
            description=without_matrix_ids(localized(g.description, language())),
            members=counts.get(g.id, (0, 0))[0],
            capacity=g.capacity,
            open=g.open,
        )
        for g in groups
    ]


@dataclass(frozen=True)
class OrgView:
    """A listed organisation as the directory shows it (its contact left out)."""

    name: str
    website: str
    country: str
    category: str
    description: str
    joined: str


def org_view(org: Organisation, content: Content) -> OrgView:
    """A listed organisation in the language in force."""
    info = org.info
    names = {c.id: localized(c.name, language()) for c in content.about.member_categories}
    return OrgView(
        name=without_matrix_ids(info.name),
        website=info.website,
        country=country_name(info.country),
        category=names.get(info.category, info.category),
        description=without_matrix_ids(info.description),
        joined=org.joined.isoformat(),
    )
