"""What each public page shows, as plain values for its template: nothing private in them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from babel.dates import format_date

from natm_bot.calendar.timeutil import clock_in, full_time, place, relative, zone
from natm_bot.config.content import Content, localized
from natm_bot.config.countries import country_name
from natm_bot.core.i18n import _, language
from natm_bot.core.text import without_matrix_ids
from natm_bot.features.groups.service import Group
from natm_bot.features.meetings.minutes_model import Minutes
from natm_bot.features.meetings.minutes_public import held_on
from natm_bot.features.meetings.minutes_views import person_name
from natm_bot.features.meetings.models import Meeting, MinuteLine
from natm_bot.features.members.service import Organisation
from natm_bot.features.polls.counting import Kind
from natm_bot.features.polls.service import Decision
from natm_bot.features.polls.views import KIND_NAMES, option_text


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


@dataclass(frozen=True)
class DecisionView:
    """A closed poll's outcome: counts and the verdict, never who voted or blocked."""

    number: int
    question: str
    kind: str
    closed: str  # when it closed, in the coalition's first zone
    verdict: str
    counts: tuple[tuple[str, int], ...]  # (option, votes)
    voted: int
    electorate: int
    blocks: int


def decision_view(decision: Decision, tz_name: str, texts: dict[str, str]) -> DecisionView:
    """A decision in the language in force (`texts` are the page's words)."""
    poll, result = decision.poll, decision.outcome
    counts = tuple(
        (without_matrix_ids(option_text(poll, i, tz_name)), n) for i, n in enumerate(result.counts)
    )
    return DecisionView(
        number=poll.id,
        question=without_matrix_ids(poll.question),
        kind=_(KIND_NAMES.get(poll.kind, KIND_NAMES["choice"])),
        closed=full_time(poll.closes_at, tz_name),
        verdict=_verdict(decision, tz_name, texts),
        counts=counts,
        voted=result.voted,
        electorate=result.electorate,
        blocks=len(result.blocks),
    )


def _verdict(decision: Decision, tz_name: str, texts: dict[str, str]) -> str:
    """Passed or not, the winner, or why there is none."""
    poll, result = decision.poll, decision.outcome
    if not result.quorum_reached:
        return texts["quorum_not_reached"].format(voted=result.voted, electorate=result.electorate)
    if poll.kind == Kind.PROPOSAL:
        if result.blocks:
            return texts["blocked"]
        return texts["passed"] if result.passed else texts["not_passed"]
    if not result.winners:
        return texts["no_votes"]
    names = ", ".join(without_matrix_ids(option_text(poll, i, tz_name)) for i in result.winners)
    if len(result.winners) > 1:
        return texts["tie"].format(options=names)
    if result.passed is False:
        return texts["not_enough"].format(option=names)
    return texts["chosen"].format(option=names)


@dataclass(frozen=True)
class MinuteItem:
    """A line of the minutes: its text, who said it (or owns it) and when it is due."""

    text: str
    who: str
    due: str


@dataclass(frozen=True)
class MinutesView:
    """One occurrence's minutes: names shown, never a Matrix id."""

    meeting: int
    day: str  # YYYY-MM-DD in the meeting's zone, in its address
    title: str
    when: str
    agenda: tuple[str, ...]
    topics: tuple[str, ...]
    infos: tuple[MinuteItem, ...]
    agreed: tuple[MinuteItem, ...]
    actions: tuple[MinuteItem, ...]


def _item(line: MinuteLine, who: str) -> MinuteItem:
    due = format_date(line.due, "medium", locale=language()) if line.due else ""
    return MinuteItem(without_matrix_ids(line.text), without_matrix_ids(who), due)


def minutes_view(minutes: Minutes) -> MinutesView:
    """An occurrence's minutes in the language in force."""
    meeting = minutes.meeting
    names = {line.sender: line.speaker_name for line in minutes.lines if line.speaker_name}
    said = {kind: minutes.of_kind(kind) for kind in ("topic", "info", "agreed", "action")}
    owners = [
        names.get(line.owner) or person_name(line.owner) if line.owner else _("unassigned")
        for line in said["action"]
    ]
    return MinutesView(
        meeting=meeting.id,
        day=held_on(meeting, minutes.occurrence).isoformat(),
        title=without_matrix_ids(meeting.title),
        when=full_time(minutes.start, meeting.timezone),
        agenda=tuple(without_matrix_ids(item.text) for item in minutes.agenda),
        topics=tuple(without_matrix_ids(line.text) for line in said["topic"]),
        infos=tuple(_item(x, person_name(x.sender, x.speaker_name)) for x in said["info"]),
        agreed=tuple(_item(x, person_name(x.sender, x.speaker_name)) for x in said["agreed"]),
        actions=tuple(_item(x, owner) for x, owner in zip(said["action"], owners, strict=True)),
    )
