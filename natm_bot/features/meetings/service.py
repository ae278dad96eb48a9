"""Meetings: planned and changed in chat, cancelled, answered for; what comes next."""

from __future__ import annotations

import heapq
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, datetime, timedelta

from natm_bot.calendar.timeutil import to_utc, zone
from natm_bot.config.settings import MeetingsSection
from natm_bot.core.clock import Clock
from natm_bot.core.errors import NotFound, UsageError
from natm_bot.core.i18n import _
from natm_bot.core.jobs import AnnouncementSource
from natm_bot.core.text import name_key
from natm_bot.engine.fields import parse_fields
from natm_bot.features.meetings.changes import (
    Carry,
    Edit,
    MeetingChange,
    plan_carry,
    schedule_changed,
)
from natm_bot.features.meetings.occurrences import (
    NextOccurrences,
    next_occurrences,
    occurrence_key,
    schedule_of,
)
from natm_bot.features.meetings.planning import (
    FIELDS,
    FROM_FIELDS,
    PLAN_AHEAD,
    Planner,
    PollTime,
    ResolveGroup,
    example,
    from_poll,
)
from natm_bot.storage.announcements import AnnouncementLedger, AnnouncementRecord
from natm_bot.storage.meetings import Answer, Meeting, MeetingStore

RECENT_ANNOUNCEMENTS = 3  # how many `!meeting <n>` shows to organisers

MeetingChanged = Callable[[Meeting], Awaitable[None]]
"""Told of every meeting added, changed or cancelled (the announcer reschedules it)."""


class MeetingService:
    """Creating, changing, listing and answering for meetings."""

    def __init__(
        self,
        store: MeetingStore,
        ledger: AnnouncementLedger,
        clock: Clock,
        settings: MeetingsSection,
        *,
        resolve_group: ResolveGroup,
        on_change: MeetingChanged,
        prefix: str,
    ) -> None:
        self.store = store
        self.ledger = ledger
        self._clock = clock
        self._settings = settings
        self._planner = Planner(clock, resolve_group, prefix)
        self._prefix = prefix
        self._changed = on_change
        self._next = NextOccurrences()
        self.poll_time: PollTime = _no_polls  # the app hands in the polls feature's

    async def get(self, meeting_id: int) -> Meeting:
        """The meeting with this number, or a friendly error."""
        meeting = await self.store.get(meeting_id)
        if meeting is None or meeting.cancelled:
            none = _("There is no meeting #{number}. `{list}` lists them.")
            raise NotFound(none.format(number=meeting_id, list=f"{self._prefix}meetings"))
        return meeting

    async def active(self) -> list[Meeting]:
        """Every meeting that is not cancelled."""
        return await self.store.active()

    async def create(self, text: str, *, asker: str, room: str) -> Meeting:
        """A new meeting from `key=value` fields typed in chat."""
        return await self.add(await self.draft(text, asker=asker, room=room))

    async def draft(self, text: str, *, asker: str, room: str) -> Meeting:
        """The meeting `key=value` fields typed in chat would plan; nothing is saved yet."""
        fields = parse_fields(text, (*FIELDS, *FROM_FIELDS), required=("title",))
        if "from" in fields:
            await from_poll(fields, self.poll_time, asker, room)
        elif "option" in fields:
            raise UsageError(_("`option` picks one of the times of the poll in `from`."))
        elif not fields.get("when"):
            parse_fields(text, (*FIELDS, *FROM_FIELDS), required=("title", "when"))
        if "tz" not in fields:
            mine = await self.store.timezone_of(asker)
            if mine is None:
                which = _(
                    "Which time zone is `when` in? Add `tz=Area/City` (or set yours with "
                    "`{prefix}tz Area/City`). Example: {example}"
                )
                example_text = example(self._prefix)
                raise UsageError(which.format(prefix=self._prefix, example=example_text))
            fields["tz"] = mine
        draft = Meeting(
            id=0,
            title="",
            start_local=datetime(2000, 1, 1),
            timezone="UTC",
            duration_minutes=self._settings.default_duration // 60,
            reminders=tuple(r // 60 for r in self._settings.reminders),
            rooms=(room,),
            created_at=self._clock.now(),
        )
        return await self._planner.apply(draft, fields, creating=True)

    async def add(self, meeting: Meeting) -> Meeting:
        """Save a drafted meeting and schedule its announcements."""
        meeting_id = await self.store.add(meeting)
        created = replace(meeting, id=meeting_id)
        await self._changed(created)
        return created

    async def draft_edit(self, meeting: Meeting, text: str) -> Meeting:
        """The meeting as some changed fields would leave it; nothing is saved yet."""
        fields = parse_fields(text, FIELDS)
        if not fields:
            say = _("Say what to change, e.g. `{example}`.")
            edit = f"{self._prefix}meeting edit {meeting.id} duration=2h"
            raise UsageError(say.format(example=edit))
        return await self._planner.apply(meeting, fields, creating=False)

    async def save_edit(self, change: MeetingChange) -> Edit:
        """Save an edit, carrying cancelled dates and answers to their new occurrences; when
        some would be lost, only with `change.confirmed` (otherwise nothing is saved)."""
        before, after = change.before or change.after, change.after
        if not schedule_changed(before, after):
            await self.store.update(after)
            await self._changed(after)
            return Edit(after, Carry(), saved=True)
        now = self._clock.now()
        answers = await self.store.answers_from(before.id, occurrence_key(now))
        current = await self.store.get(before.id) or before  # dates cancelled meanwhile
        carry = plan_carry(current, after, answers, now)
        if carry.loses and not change.confirmed:
            dropped = [a for a in answers if a.occurrence in carry.lost_answers]
            return Edit(before, carry, saved=False, lost=dropped)
        lost = await self.store.move_dates(after, carry.moves, occurrence_key(now))
        saved = await self.get(after.id)
        await self._changed(saved)
        return Edit(saved, carry, saved=True, lost=lost)

    async def cancel(self, meeting: Meeting) -> None:
        """Cancel the meeting and every future occurrence."""
        cancelled = replace(meeting, cancelled=True)
        await self.store.update(cancelled)
        await self._changed(cancelled)

    async def cancel_occurrence(self, meeting: Meeting, day: str) -> datetime:
        """Skip the occurrence that falls on `day` (YYYY-MM-DD, in the meeting's zone)."""
        try:
            wanted = datetime.strptime(day.strip(), "%Y-%m-%d").date()
        except ValueError:
            raise UsageError(
                _("Give the day to cancel as `YYYY-MM-DD`, e.g. `{example}`.").format(
                    example="2026-12-15"
                )
            ) from None
        moment = self._occurrence_on(meeting, wanted)
        if moment <= self._clock.now():
            raise UsageError(
                _("That date has already started; only future ones can be cancelled.")
            )
        await self.store.cancel_occurrence(meeting.id, occurrence_key(moment))
        await self._changed(await self.get(meeting.id))
        return moment

    def _occurrence_on(self, meeting: Meeting, wanted: date) -> datetime:
        """The meeting's first occurrence on a day of its own zone, or NotFound."""
        today = self._clock.now().date()
        if not today - timedelta(days=1) <= wanted <= today + 2 * PLAN_AHEAD:
            # also keeps year 1 and year 9999 away from the date arithmetic below
            no_date = _("Meeting #{number} has no date on {date}.")
            raise NotFound(no_date.format(number=meeting.id, date=wanted.isoformat()))
        tz = zone(meeting.timezone)
        start = to_utc(datetime.combine(wanted, datetime.min.time()), tz) - timedelta(hours=1)
        candidates = [
            o
            for o in schedule_of(meeting).between(start, start + timedelta(days=2))
            if o.astimezone(tz).date() == wanted
        ]
        if not candidates:
            not_then = _("Meeting #{number} does not take place on {date}.")
            raise NotFound(not_then.format(number=meeting.id, date=f"{wanted:%Y-%m-%d}"))
        return candidates[0]

    async def upcoming(self, now: datetime, limit: int) -> list[tuple[Meeting, datetime]]:
        """The next `limit` occurrences across all meetings, skipping cancelled ones."""
        timings = await self.store.timings()
        heap = [(first, t.id) for t in timings if (first := self._next.of(t, now))]
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
            following = next_occurrences(meeting, moment + timedelta(microseconds=1), 1)
            if following:
                heapq.heappush(heap, (following[0], meeting_id))
        self._next.keep_only(timings)
        return found

    def next_occurrences(self, meeting: Meeting, now: datetime, count: int) -> list[datetime]:
        """The meeting's next occurrences, cancelled ones left out."""
        return next_occurrences(meeting, now, count)

    async def rsvp_counts(self, meeting: Meeting, moment: datetime) -> dict[str, int]:
        """yes / no / maybe counts for one occurrence."""
        return await self.store.rsvp_counts(meeting.id, occurrence_key(moment))

    async def recent_announcements(self, meeting: Meeting) -> list[AnnouncementRecord]:
        """How the meeting's latest announcements in its rooms went, room by room, newest
        first."""
        source = AnnouncementSource.meeting(meeting.id)
        return await self.ledger.recent(source, "rooms", RECENT_ANNOUNCEMENTS)

    async def rsvp(self, meeting: Meeting, user: str, answer: Answer, remind: bool) -> datetime:
        """Answer for the next occurrence; which occurrence that is."""
        upcoming = next_occurrences(meeting, self._clock.now(), 1)
        if not upcoming:
            raise NotFound(_("Meeting #{number} has no upcoming date.").format(number=meeting.id))
        key = occurrence_key(upcoming[0])
        await self.store.rsvp(meeting.id, key, user, answer, remind and answer == "yes")
        return upcoming[0]

    async def timezone_of(self, user: str) -> str | None:
        """The zone a person set with `!tz`, if any."""
        return await self.store.timezone_of(user)

    async def set_timezone(self, user: str, name: str | None) -> str | None:
        """Set (a known IANA zone, or UsageError) or forget a person's zone; the zone set."""
        chosen = zone(name).key if name is not None else None
        await self.store.set_timezone(user, chosen)
        return chosen


async def _no_polls(
    number: int, option: int | None, asker: str, room: str
) -> tuple[datetime, str]:
    """No polls feature: no poll exists."""
    raise NotFound(_("There is no poll #{number}.").format(number=number))


# What people answer, in English, Spanish, French and Portuguese, as `name_key` reads it.
ANSWERS: dict[str, Answer] = {
    **dict.fromkeys(("yes", "y", "si", "oui", "sim"), "yes"),
    **dict.fromkeys(("no", "n", "non", "nao"), "no"),
    **dict.fromkeys(
        ("maybe", "perhaps", "quizas", "quiza", "tal vez", "talvez", "peut etre", "peutetre"),
        "maybe",
    ),
}
# `yes remind` in each language: the answer, then one of these.
REMIND = frozenset(("remind", "remind me", "recuerdame", "recordar", "rappelle moi", "rappel"))
REMIND |= {"lembrar", "lembre me", "lembrete"}


def parse_answer(text: str) -> tuple[Answer, bool]:
    """`yes`, `no`, `maybe` (or `sí`, `oui`, `sim`, `non`, `não`, `tal vez`, `peut-être`…,
    in any case, with or without accents), optionally followed by `remind`."""
    key = name_key(text)
    remind = next((word for word in REMIND if key.endswith(f" {word}")), None)
    if remind is not None:
        key = key.removesuffix(f" {remind}")
    if key not in ANSWERS:
        raise UsageError(
            _(
                "Answer `yes`, `no` or `maybe`; `yes remind` also sends you a direct message"
                " shortly before it starts."
            )
        )
    return ANSWERS[key], remind is not None
