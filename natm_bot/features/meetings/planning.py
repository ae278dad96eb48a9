"""The fields of a meeting as organisers type them (`title=… when=…`), each read and checked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from natm_bot.calendar.recurrence import check_schedule, parse_repeat
from natm_bot.calendar.timeutil import (
    WHEN_EXAMPLE,
    exists,
    parse_local,
    parse_span,
    to_utc,
    zone,
)
from natm_bot.config.validation import ROOM_RE
from natm_bot.core.clock import Clock
from natm_bot.core.errors import UsageError
from natm_bot.core.i18n import _
from natm_bot.core.text import multi_line, one_line, plain_url
from natm_bot.engine.rendering import md_escape
from natm_bot.features.meetings.occurrences import schedule_of
from natm_bot.storage.groups import Group
from natm_bot.storage.meetings import Meeting

FIELDS = (
    "title",
    "when",
    "tz",
    "duration",
    "repeat",
    "link",
    "description",
    "group",
    "rooms",
    "reminders",
    "thread",
    "agenda",
)
FROM_FIELDS = ("from", "option")  # `!meeting add` only: a time poll's time
PLAN_AHEAD = timedelta(days=5 * 365)  # how far ahead a meeting can start
MAX_REMINDER = 30 * 1440  # minutes: the longest a reminder can come before the start


def example(prefix: str) -> str:
    """A whole `meeting add` command, as the bot's prefix makes it."""
    return (
        f'`{prefix}meeting add title="Algorithm Observatory call" when="{WHEN_EXAMPLE}" '
        'tz=Europe/Berlin duration=90m repeat="first tuesday" link=https://meet.example.org/algo '
        "group=algo`"
    )


PollTime = Callable[[int, int | None, str, str], Awaitable[tuple[datetime, str]]]
"""The time of time poll `number` (its option `option`, else its best) and the poll's zone,
for the person asking in a room; UsageError or NotFound with the reason."""

MAX_OPTION = 1000  # more than any poll has: a bigger number is refused by its poll


def poll_source(value: str) -> int:
    """The poll number of a `from=` field: `poll:3` (or `poll:#3`); UsageError otherwise."""
    kind, _colon, number = value.strip().partition(":")
    found = number.strip().removeprefix("#")
    well_formed = kind.strip().lower() == "poll" and found.isdecimal() and len(found) <= 18
    if well_formed and int(found) >= 1:
        return int(found)
    raise UsageError(
        _("`from` names a time poll, like `{example}`.").format(example="from=poll:3")
    )


def option_number(value: str) -> int:
    """The option of an `option=` field: a number from 1; UsageError otherwise."""
    typed = value.strip().removeprefix("#")
    if typed.isdecimal() and len(typed) <= 4 and 1 <= int(typed) <= MAX_OPTION:
        return int(typed)
    raise UsageError(
        _("`option` is the number of one of the poll's times, like `{example}`.").format(
            example="option=2"
        )
    )


async def from_poll(fields: dict[str, str], poll_time: PollTime, asker: str, room: str) -> None:
    """Replace `from=poll:N` (and `option=K`) by the `when` (and `tz`, unless given) of
    the poll's time; UsageError when `when` is given too or the poll gives no time."""
    if "when" in fields:
        raise UsageError(_("Give either `when` or `from`, not both."))
    number = poll_source(fields.pop("from"))
    option = option_number(fields.pop("option")) if "option" in fields else None
    moment, poll_zone = await poll_time(number, option, asker, room)
    fields["tz"] = zone(fields.get("tz") or poll_zone).key
    fields["when"] = f"{moment.astimezone(zone(fields['tz'])):%Y-%m-%d %H:%M}"


ResolveGroup = Callable[[str], Awaitable[Group]]
"""The working group meant by a name, id or alias (or UsageError)."""


class Planner:
    """Applies typed fields to a meeting and checks that it can take place."""

    def __init__(self, clock: Clock, resolve_group: ResolveGroup, prefix: str) -> None:
        self._clock = clock
        self._resolve_group = resolve_group
        self._prefix = prefix

    def _example(self) -> str:
        return _("Example: {example}").format(example=example(self._prefix))

    async def apply(
        self, meeting: Meeting, fields: Mapping[str, str], *, creating: bool
    ) -> Meeting:
        """The meeting with the fields applied; every problem at once as a UsageError."""
        problems: list[str] = []
        changes: dict[str, object] = {}
        for key, value in sorted(fields.items(), key=lambda kv: kv[0] == "rooms"):
            try:
                changes.update(await self._field(key, value))
            except UsageError as exc:
                problems.append(str(exc))
        if problems:
            raise UsageError(" ".join([*problems, self._example()]))
        updated = replace(meeting, **changes)  # type: ignore[arg-type]
        if "when" in fields or "tz" in fields or creating:
            self._check_start(updated, zone(updated.timezone))
        if {"when", "tz", "repeat"} & fields.keys() or creating:
            self._check_repeat(updated)
        if not schedule_of(updated).next_after(self._clock.now()):
            raise UsageError(_("With that repeat rule the meeting would never happen again."))
        return updated

    def _check_repeat(self, meeting: Meeting) -> None:
        now_local = self._clock.now().astimezone(zone(meeting.timezone)).replace(tzinfo=None)
        try:
            check_schedule(
                meeting.start_local, meeting.timezone, meeting.rrule, not_before=now_local
            )
        except UsageError as exc:
            raise UsageError(f"{exc} {self._example()}") from None

    def _check_start(self, meeting: Meeting, tz: ZoneInfo) -> None:
        local = meeting.start_local
        now_local = self._clock.now().astimezone(tz).replace(tzinfo=None)
        if local > now_local + PLAN_AHEAD:  # also keeps year 9999 away from the arithmetic
            far = _(
                "{date} is too far ahead: meetings can be planned at most {years} years ahead."
            )
            years = PLAN_AHEAD.days // 365
            far = far.format(date=f"{local:%Y-%m-%d}", years=years)
            raise UsageError(f"{far} {self._example()}")
        if local < now_local - timedelta(days=1):
            raise UsageError(f"{_in_the_past(meeting)} {self._example()}")
        if not exists(local, tz):
            shown = to_utc(local, tz).astimezone(tz)
            gap = _(
                "{time} does not exist in {zone}: the clocks jump forward that night. "
                "Did you mean {shown}?"
            ).format(time=f"{local:%Y-%m-%d %H:%M}", zone=meeting.timezone, shown=f"{shown:%H:%M}")
            raise UsageError(f"{gap} {self._example()}")
        if to_utc(local, tz) <= self._clock.now():
            raise UsageError(f"{_in_the_past(meeting)} {self._example()}")

    async def _field(self, key: str, value: str) -> dict[str, object]:
        if key == "group":
            group = await self._resolve_group(value)
            own_room = {"rooms": (group.room,)} if group.room else {}
            return {"group_id": group.id, **own_room}
        return _READERS[key](value)


def _in_the_past(meeting: Meeting) -> str:
    return _("{time} ({zone}) is in the past; meetings are planned ahead.").format(
        time=f"{meeting.start_local:%Y-%m-%d %H:%M}", zone=meeting.timezone
    )


def _title(value: str) -> dict[str, object]:
    title = one_line(value, _("The title"))
    if not 1 <= len(title) <= 200:
        raise UsageError(_("The title needs 1 to 200 characters."))
    return {"title": title}


def _duration(value: str) -> dict[str, object]:
    minutes = parse_span(value)
    if minutes > 24 * 60:
        raise UsageError(_("A meeting can last at most 24 hours."))
    return {"duration_minutes": minutes}


def _rooms(value: str) -> dict[str, object]:
    rooms = tuple(r.strip() for r in value.split(",") if r.strip())
    bad = [r for r in rooms if not ROOM_RE.match(r)]
    if bad or not rooms:
        raise UsageError(_("Rooms are room ids or aliases separated by commas."))
    return {"rooms": rooms}


def _reminders(value: str) -> dict[str, object]:
    if value.lower() == "none":
        return {"reminders": ()}
    spans = [parse_span(v, allow_zero=True) for v in value.split(",") if v.strip()]
    if any(span > MAX_REMINDER for span in spans):
        raise UsageError(_("A reminder can come at most 30 days before the start."))
    if len(set(spans)) != len(spans):
        raise UsageError(_("Reminders are distinct times before the start, e.g. `1d,1h,0`."))
    return {"reminders": tuple(sorted(spans, reverse=True))}


def _thread(value: str) -> dict[str, object]:
    typed = value.strip().lower()
    if typed not in ("yes", "no"):
        raise UsageError(_("`thread` is `yes` (one thread per date) or `no`."))
    return {"threads": typed == "yes"}


def _agenda(value: str) -> dict[str, object]:
    typed = value.strip().lower().replace("organizers", "organisers")
    if typed not in ("anyone", "organisers"):
        raise UsageError(_("`agenda` is `anyone` or `organisers`: who may add to the agenda."))
    return {"agenda_by": typed}


_READERS: dict[str, Callable[[str], dict[str, object]]] = {
    "title": _title,
    "description": lambda v: {"description": multi_line(v, _("The description"))[:2000]},
    "when": lambda v: {"start_local": parse_local(v)},
    "tz": lambda v: {"timezone": zone(v).key},
    "duration": _duration,
    "repeat": lambda v: {"rrule": parse_repeat(v)},
    "link": lambda v: {"link": meeting_link(v) if v.lower() != "none" else None},
    "rooms": _rooms,
    "reminders": _reminders,
    "thread": _thread,
    "agenda": _agenda,
}


def meeting_link(text: str) -> str:
    """The link of a meeting: one plain web address, or UsageError saying what is wrong."""
    try:
        return plain_url(text)
    except ValueError as exc:
        bad = _("The link must be one plain web address like {example}: {problem}.")
        raise UsageError(
            bad.format(example="https://meet.example.org/call", problem=md_escape(str(exc)))
        ) from None
