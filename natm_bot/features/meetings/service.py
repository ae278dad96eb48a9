"""Meetings: created and changed in chat, shown in everyone's time zones, RSVPs, calendars."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

from natm_bot.config.validation import ROOM_RE
from natm_bot.core.errors import NotFound, UsageError
from natm_bot.core.text import multi_line, one_line, plain_url
from natm_bot.engine.arguments import counting_number
from natm_bot.engine.fields import parse_fields
from natm_bot.engine.rendering import md_escape
from natm_bot.features.meetings.changes import (
    Carry,
    Edit,
    MeetingChange,
    plan_carry,
    schedule_changed,
)
from natm_bot.features.meetings.recurrence import Schedule, check_schedule, parse_repeat
from natm_bot.features.meetings.timeutil import (
    WHEN_EXAMPLE,
    clock_in,
    exists,
    full_time,
    parse_local,
    parse_span,
    place,
    relative,
    to_utc,
    zone,
)
from natm_bot.storage.meetings import (
    AnnouncementLedger,
    AnnouncementRecord,
    Answer,
    Meeting,
    MeetingStore,
    Timing,
)

if TYPE_CHECKING:
    from natm_bot.app import App
    from natm_bot.context import Context

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
)
# Why an announcement did not reach a room, by the code the announcer records.
TIMED_OUT = "TIMED_OUT"
OFFLINE = "OFFLINE"
REFUSED = "REFUSED"
ERROR = "ERROR"
FAILURES = {
    "M_FORBIDDEN": "the bot may not post there: it was removed or banned, or lacks permission",
    "NOT_JOINED": "the bot is not in that room",
    "M_NOT_FOUND": "no such room",
    "M_TOO_LARGE": "the message was too large",
    TIMED_OUT: "the homeserver kept failing until the grace window ended",
    OFFLINE: "the bot was offline until the grace window had passed",
    REFUSED: "the homeserver refused it",
    ERROR: "an unexpected error (see the bot's log)",
}
RECENT_ANNOUNCEMENTS = 3  # how many `!meeting <n>` shows to organisers
PLAN_AHEAD = timedelta(days=5 * 365)  # how far ahead a meeting can start


def describe_failure(code: str) -> str:
    """Why an announcement did not reach a room, in words."""
    return FAILURES.get(code, f"the homeserver refused it ({code})")


EXAMPLE = (
    f'`!meeting add title="Algorithm Observatory call" when="{WHEN_EXAMPLE}" '
    'tz=Europe/Berlin duration=90m repeat="first tuesday" link=https://meet.example.org/algo '
    "group=algo`"
)


def schedule_of(meeting: Meeting) -> Schedule:
    """The meeting's recurrence in its own zone."""
    return Schedule(meeting.start_local, meeting.timezone, meeting.rrule)


def occurrence_key(moment: datetime) -> int:
    """How an occurrence is stored and keyed: its UTC start in whole seconds."""
    return int(moment.timestamp())


class MeetingService:
    """Creating, changing, listing and answering for meetings."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.store = MeetingStore(app.db)
        self.ledger = AnnouncementLedger(app.db)
        # meeting id → (its timing, when computed, its next occurrence then): see _next_of
        self._next: dict[int, tuple[Timing, datetime, datetime | None]] = {}

    async def get(self, meeting_id: int) -> Meeting:
        """The meeting with this number, or a friendly error."""
        meeting = await self.store.get(meeting_id)
        if meeting is None or meeting.cancelled:
            raise NotFound(f"There is no meeting #{meeting_id}. `!meetings` lists them.")
        return meeting

    async def create(self, text: str, *, asker: str, room: str) -> Meeting:
        """A new meeting from `key=value` fields typed in chat."""
        return await self.add(await self.draft(text, asker=asker, room=room))

    async def draft(self, text: str, *, asker: str, room: str) -> Meeting:
        """The meeting `key=value` fields typed in chat would plan; nothing is saved yet."""
        fields = parse_fields(text, FIELDS, required=("title", "when"))
        if "tz" not in fields:
            mine = await self.store.timezone_of(asker)
            if mine is None:
                raise UsageError(
                    "Which time zone is `when` in? Add `tz=Area/City` (or set yours with "
                    f"`!tz Area/City`). Example: {EXAMPLE}"
                )
            fields["tz"] = mine
        draft = Meeting(
            id=0,
            title="",
            start_local=datetime(2000, 1, 1),
            timezone="UTC",
            duration_minutes=self.app.config.meetings.default_duration // 60,
            reminders=tuple(r // 60 for r in self.app.config.meetings.reminders),
            rooms=(room,),
            created_at=self.app.clock.now(),
        )
        return await self._apply(draft, fields, creating=True)

    async def add(self, meeting: Meeting) -> Meeting:
        """Save a drafted meeting and schedule its announcements."""
        meeting_id = await self.store.add(meeting)
        created = replace(meeting, id=meeting_id)
        await self.app.announcer.reschedule(created)
        return created

    async def draft_edit(self, meeting: Meeting, text: str) -> Meeting:
        """The meeting as some changed fields would leave it; nothing is saved yet."""
        fields = parse_fields(text, FIELDS)
        if not fields:
            raise UsageError(f"Say what to change, e.g. `!meeting edit {meeting.id} duration=2h`.")
        return await self._apply(meeting, fields, creating=False)

    async def save_edit(self, change: MeetingChange) -> Edit:
        """Save an edit, carrying cancelled dates and answers to their new occurrences; when
        some would be lost, only with `change.confirmed` (otherwise nothing is saved)."""
        before, after = change.before or change.after, change.after
        if not schedule_changed(before, after):
            await self.store.update(after)
            await self.app.announcer.reschedule(after)
            return Edit(after, Carry(), saved=True)
        now = self.app.clock.now()
        answers = await self.store.answers_from(before.id, occurrence_key(now))
        current = await self.store.get(before.id) or before  # dates cancelled meanwhile
        carry = plan_carry(current, after, answers, now)
        if carry.loses and not change.confirmed:
            dropped = [a for a in answers if a.occurrence in carry.lost_answers]
            return Edit(before, carry, saved=False, lost=dropped)
        lost = await self.store.move_dates(after, carry.moves, occurrence_key(now))
        saved = await self.get(after.id)
        await self.app.announcer.reschedule(saved)
        return Edit(saved, carry, saved=True, lost=lost)

    async def cancel(self, meeting: Meeting) -> None:
        """Cancel the meeting and every future occurrence."""
        cancelled = replace(meeting, cancelled=True)
        await self.store.update(cancelled)
        await self.app.announcer.reschedule(cancelled)

    async def cancel_occurrence(self, meeting: Meeting, day: str) -> datetime:
        """Skip the occurrence that falls on `day` (YYYY-MM-DD, in the meeting's zone)."""
        try:
            wanted = datetime.strptime(day.strip(), "%Y-%m-%d").date()
        except ValueError:
            raise UsageError(
                "Give the day to cancel as `YYYY-MM-DD`, e.g. `2026-12-15`."
            ) from None
        today = self.app.clock.now().date()
        if not today - timedelta(days=1) <= wanted <= today + 2 * PLAN_AHEAD:
            # also keeps year 1 and year 9999 away from the date arithmetic below
            raise NotFound(f"Meeting #{meeting.id} has no date on {wanted.isoformat()}.")
        tz = zone(meeting.timezone)
        start = to_utc(datetime.combine(wanted, datetime.min.time()), tz) - timedelta(hours=1)
        candidates = [
            o
            for o in schedule_of(meeting).between(start, start + timedelta(days=2))
            if o.astimezone(tz).date() == wanted
        ]
        if not candidates:
            raise NotFound(f"Meeting #{meeting.id} does not take place on {wanted:%Y-%m-%d}.")
        if candidates[0] <= self.app.clock.now():
            raise UsageError(
                "That occurrence has already started; only future ones can be cancelled."
            )
        await self.store.cancel_occurrence(meeting.id, occurrence_key(candidates[0]))
        await self.app.announcer.reschedule(await self.get(meeting.id))
        return candidates[0]

    async def _apply(
        self, meeting: Meeting, fields: Mapping[str, str], *, creating: bool
    ) -> Meeting:
        problems: list[str] = []
        changes: dict[str, object] = {}
        for key, value in sorted(fields.items(), key=lambda kv: kv[0] == "rooms"):
            try:
                changes.update(await self._field(key, value))
            except UsageError as exc:
                problems.append(str(exc))
        if problems:
            raise UsageError(" ".join(problems) + f" Example: {EXAMPLE}")
        updated = replace(meeting, **changes)  # type: ignore[arg-type]
        tz = zone(updated.timezone)
        if "when" in fields or "tz" in fields or creating:
            self._check_start(updated, tz)
        if {"when", "tz", "repeat"} & fields.keys() or creating:
            now_local = self.app.clock.now().astimezone(tz).replace(tzinfo=None)
            try:
                check_schedule(
                    updated.start_local, updated.timezone, updated.rrule, not_before=now_local
                )
            except UsageError as exc:
                raise UsageError(f"{exc} Example: {EXAMPLE}") from None
        if not schedule_of(updated).next_after(self.app.clock.now()):
            raise UsageError("With that repeat rule the meeting would never happen again.")
        return updated

    def _check_start(self, meeting: Meeting, tz: ZoneInfo) -> None:
        local = meeting.start_local
        now_local = self.app.clock.now().astimezone(tz).replace(tzinfo=None)
        if local > now_local + PLAN_AHEAD:  # also keeps year 9999 away from the arithmetic
            raise UsageError(
                f"{local:%Y-%m-%d} is too far ahead: meetings can be planned at most "
                f"{PLAN_AHEAD.days // 365} years ahead. Example: {EXAMPLE}"
            )
        if local < now_local - timedelta(days=1):
            raise UsageError(
                f"{local:%Y-%m-%d %H:%M} ({meeting.timezone}) is in the past; meetings are "
                f"planned ahead. Example: {EXAMPLE}"
            )
        if not exists(local, tz):
            shown = to_utc(local, tz).astimezone(tz)
            raise UsageError(
                f"{local:%Y-%m-%d %H:%M} does not exist in {meeting.timezone}: the clocks jump "
                f"forward that night. Did you mean {shown:%H:%M}? Example: {EXAMPLE}"
            )
        if to_utc(local, tz) <= self.app.clock.now():
            raise UsageError(
                f"{local:%Y-%m-%d %H:%M} ({meeting.timezone}) is in the past; meetings are "
                f"planned ahead. Example: {EXAMPLE}"
            )

    async def _field(self, key: str, value: str) -> dict[str, object]:
        if key == "title":
            title = one_line(value, "The title")
            if not 1 <= len(title) <= 200:
                raise UsageError("The title needs 1 to 200 characters.")
            return {"title": title}
        if key == "description":
            return {"description": multi_line(value, "The description")[:2000]}
        if key == "when":
            return {"start_local": parse_local(value)}
        if key == "tz":
            return {"timezone": zone(value).key}
        if key == "duration":
            minutes = parse_span(value)
            if minutes > 24 * 60:
                raise UsageError("A meeting can last at most 24 hours.")
            return {"duration_minutes": minutes}
        if key == "repeat":
            return {"rrule": parse_repeat(value)}
        if key == "link":
            return {"link": meeting_link(value) if value.lower() != "none" else None}
        if key == "group":
            group = await self.app.groups.resolve(value)
            own_room = {"rooms": (group.room,)} if group.room else {}
            return {"group_id": group.id, **own_room}
        if key == "rooms":
            rooms = tuple(r.strip() for r in value.split(",") if r.strip())
            bad = [r for r in rooms if not ROOM_RE.match(r)]
            if bad or not rooms:
                raise UsageError("Rooms are room ids or aliases separated by commas.")
            return {"rooms": rooms}
        return {"reminders": self._reminders(value)}

    @staticmethod
    def _reminders(value: str) -> tuple[int, ...]:
        if value.lower() == "none":
            return ()
        spans = [parse_span(v, allow_zero=True) for v in value.split(",") if v.strip()]
        if len(set(spans)) != len(spans) or any(s > 30 * 1440 for s in spans):
            raise UsageError("Reminders are distinct times before the start, e.g. `1d,1h,0`.")
        return tuple(sorted(spans, reverse=True))

    async def upcoming(self, now: datetime, limit: int) -> list[tuple[Meeting, datetime]]:
        """The next `limit` occurrences across all meetings, skipping cancelled ones."""
        timings = await self.store.timings()
        heap = [(first, t.id) for t in timings if (first := self._next_of(t, now))]
        heapq.heapify(heap)
        found: list[tuple[Meeting, datetime]] = []
        loaded: dict[int, Meeting | None] = {}
        while heap and len(found) < limit:
            moment, meeting_id = heapq.heappop(heap)
            if meeting_id not in loaded:
                loaded[meeting_id] = await self.store.get(meeting_id)
            meeting = loaded[meeting_id]
            if meeting is None or meeting.cancelled:
                continue  # cancelled meanwhile
            found.append((meeting, moment))
            following = self.next_occurrences(meeting, moment + timedelta(microseconds=1), 1)
            if following:
                heapq.heappush(heap, (following[0], meeting_id))
        if len(self._next) > 2 * len(timings):  # now and then, forget cancelled meetings
            active = {t.id for t in timings}
            self._next = {k: v for k, v in self._next.items() if k in active}
        return found

    def _next_of(self, timing: Timing, now: datetime) -> datetime | None:
        """A meeting's next occurrence at or after `now`. An occurrence stays the next one
        until it starts, so it is remembered: most lists then walk no recurrence at all."""
        known = self._next.get(timing.id)
        if known is not None:
            was, since, first = known
            if was == timing and since <= now and (first is None or now <= first):
                return first
        start = datetime.fromisoformat(timing.start_local)
        moments = Schedule(start, timing.timezone, timing.rrule).iter_from(now)
        first = next((m for m in moments if occurrence_key(m) not in timing.exceptions), None)
        self._next[timing.id] = (timing, now, first)
        return first

    def next_occurrences(self, meeting: Meeting, now: datetime, count: int) -> list[datetime]:
        """The meeting's next occurrences, cancelled ones left out."""
        found = []
        for moment in schedule_of(meeting).iter_from(now):
            if occurrence_key(moment) not in meeting.exceptions:
                found.append(moment)
                if len(found) >= count:
                    break
        return found

    async def recent_announcements(self, meeting: Meeting) -> list[AnnouncementRecord]:
        """How the meeting's latest announcements in its rooms went, room by room, newest
        first."""
        return await self.ledger.recent(f"m:{meeting.id}", "rooms", RECENT_ANNOUNCEMENTS)

    async def rsvp(self, meeting: Meeting, user: str, answer: Answer, remind: bool) -> datetime:
        """Answer for the next occurrence; which occurrence that is."""
        upcoming = self.next_occurrences(meeting, self.app.clock.now(), 1)
        if not upcoming:
            raise NotFound(f"Meeting #{meeting.id} has no upcoming occurrence.")
        key = occurrence_key(upcoming[0])
        await self.store.rsvp(meeting.id, key, user, answer, remind and answer == "yes")
        return upcoming[0]

    def times(self, moment: datetime, meeting_tz: str, asker_tz: str | None) -> str:
        """The start in the meeting's zone, UTC, the display zones and the asker's zone."""
        day = moment.astimezone(zone(meeting_tz)).date()
        shown = [full_time(moment, meeting_tz), f"{clock_in(moment, 'UTC', day)} UTC"]
        for tz in self.app.config.bot.display_timezones:
            if tz not in (meeting_tz, "UTC"):
                shown.append(f"{clock_in(moment, tz, day)} {place(tz)}")
        if asker_tz and asker_tz not in (meeting_tz, "UTC"):
            shown.append(f"yours ({place(asker_tz)}): {clock_in(moment, asker_tz, day)}")
        return " · ".join(shown) + f" · {relative(moment, self.app.clock.now())}"

    def heading(self, meeting: Meeting) -> str:
        """`#3 **Weekly call**`."""
        return f"#{meeting.id} **{md_escape(meeting.title)}**"


def parse_answer(text: str) -> tuple[Answer, bool]:
    """`yes`, `no`, `maybe`, optionally followed by `remind`."""
    words = text.lower().split()
    answers: dict[str, Answer] = {
        "yes": "yes",
        "no": "no",
        "maybe": "maybe",
        "si": "yes",
        "oui": "yes",
    }
    if not words or words[0] not in answers or words[1:] not in ([], ["remind"]):
        raise UsageError(
            "Answer `yes`, `no` or `maybe`; `yes remind` also sends you a direct message"
            " shortly before it starts."
        )
    return answers[words[0]], words[1:] == ["remind"]


def meeting_link(text: str) -> str:
    """The link of a meeting: one plain web address, or UsageError saying what is wrong."""
    try:
        return plain_url(text)
    except ValueError as exc:
        raise UsageError(
            "The link must be one plain web address like https://meet.example.org/call: "
            f"{md_escape(str(exc))}."
        ) from None


class MeetingLookup:
    """Argument converter: `3` or `#3` → Meeting."""

    async def convert(self, ctx: Context, text: str) -> Meeting:
        """The meeting, or a friendly error."""
        number = text.strip().lstrip("#")
        if not number.isdecimal():
            raise UsageError(
                f"Meetings are numbered, like `#3`; “{md_escape(text[:20])}” is not a number."
            )
        found = counting_number(number)
        if found is None:  # no row id is that large
            raise NotFound(f"There is no meeting #{number}. `!meetings` lists them.")
        return await ctx.app.meetings.get(found)


MeetingArg = Annotated[Meeting, MeetingLookup()]


def rooms_text(rooms: Sequence[str]) -> str:
    """Rooms for display."""
    return ", ".join(md_escape(r) for r in rooms) or "none"
