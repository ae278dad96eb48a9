"""Polls: opening them (as native polls where they can be), taking votes typed or tapped,
and who may vote in each; closing is `closing.py`'s, the texts are `views.py`'s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from natm_bot.calendar.timeutil import full_time
from natm_bot.core.clock import Clock
from natm_bot.core.errors import CommandError, NotFound, UsageError
from natm_bot.core.i18n import _
from natm_bot.core.messages import EventId, PollAnswer, RoomId, UserId
from natm_bot.features.polls.ballots import Choice, read_choice, rules_of
from natm_bot.features.polls.counting import (
    Ballot,
    Kind,
    Outcome,
    Slot,
    counted,
    stored_slots,
    tally,
    tally_time,
)
from natm_bot.features.polls.drafting import Draft, read_instant
from natm_bot.features.polls.views import option_text
from natm_bot.features.polls.views import zone_of as zone_of_name
from natm_bot.storage.polls import Poll, PollStore, Vote

__all__ = ["Cast", "Electorates", "Poll", "PollService"]

Digest = Callable[[str], str]  # a keyed hash (the operator's key) of a text
RoomMembers = Callable[[RoomId], list[UserId]]
ZoneOf = Callable[[str], Awaitable[str | None]]  # a person's own time zone, if they chose one


class Electorates:
    """Where a poll's voters come from: the room's members, or the member organisations'
    delegates (handed in by the app: features do not import each other)."""

    def __init__(
        self,
        room_members: RoomMembers,
        delegations: Callable[[], Awaitable[dict[UserId, int]]],
        organisations: Callable[[], Awaitable[frozenset[int]]],
    ) -> None:
        self.room_members = room_members
        self.delegations = delegations
        self.organisations = organisations

    async def of(self, voters: str, room: RoomId) -> list[str]:
        """Who may vote: `org:<id>` for each organisation, else the room's members."""
        if voters == "organisations":
            return [f"org:{number}" for number in sorted(await self.organisations())]
        return list(self.room_members(room))


@dataclass(frozen=True)
class Cast:
    """What became of a vote."""

    poll: Poll
    counted: bool
    why: str = ""  # "late", "outsider", "secret-twice", "cancelled", "not-a-delegate"
    replaced: str = ""  # for an organisation's vote: the delegate whose vote it replaces
    organisation: int | None = None
    choice: tuple[int, ...] = ()


@dataclass(frozen=True)
class Decision:
    """A closed poll and its outcome, as the public page shows it."""

    poll: Poll
    outcome: Outcome


class PollService:
    """Opens polls, takes votes, and answers what polls there are."""

    def __init__(
        self,
        store: PollStore,
        clock: Clock,
        electorates: Electorates,
        digest: Digest,
        zone_of: ZoneOf,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.zone_of = zone_of  # a person's own time zone (`!tz`), if they chose one
        self.store = store
        self.clock = clock
        self.electorates = electorates
        self.digest = digest
        self.on_change = on_change  # the closing job re-reads its next due time
        self.secret_voted = False  # a secret vote was kept: fold the WAL soon

    def voter_key(self, poll: Poll, user: str) -> str:
        """How a room voter is kept: their Matrix id, or for a secret ballot a digest."""
        return self.digest(f"poll:{poll.id}:{user}") if poll.secret else user

    async def open(self, draft: Draft, creator: UserId, room: RoomId, source: str) -> Poll:
        """Save a new poll with who may vote in it (as things are now); `source`, the
        command's event, makes a repeat of the command give the same poll."""
        voters = await self.electorates.of(draft.voters, room)
        if not voters:
            raise CommandError(_("Nobody could vote in this poll: there is no one to ask."))
        now = self.clock.now()
        poll = Poll(
            id=0,
            room_id=room,
            creator=creator,
            kind=draft.kind,
            question=draft.question,
            options=draft.options,
            max_choices=draft.max_choices,
            quorum=draft.quorum,
            threshold=draft.threshold,
            voters=draft.voters,
            hidden=draft.hidden,
            secret=draft.secret,
            timezone=draft.timezone,
            opened_at=now,
            closes_at=draft.closes_at,
        )

        def keys(number: int) -> list[str]:
            numbered = replace(poll, id=number)
            return [v if v.startswith("org:") else self.voter_key(numbered, v) for v in voters]

        saved = await self.store.add(poll, keys, source)
        self.on_change()
        return saved

    async def native_started(self, poll: Poll, event_id: EventId) -> None:
        """Remember the native poll start event of the poll (taps refer to it)."""
        await self.store.set_event(poll.id, event_id)

    async def get(self, number: int) -> Poll:
        """The poll, or NotFound."""
        poll = await self.store.get(number)
        if poll is None:
            raise NotFound(_("There is no poll #{number}.").format(number=number))
        return poll

    async def may_see(self, poll: Poll, user: UserId, room: RoomId) -> bool:
        """Whether the user may see the poll: asked in its room, a member of its room, or
        one who may vote in it (a delegate, a voter of a secret ballot writing directly)."""
        if room == poll.room_id or user in self.electorates.room_members(RoomId(poll.room_id)):
            return True
        voter, _ = await self._voter(poll, user)
        return voter is not None and voter in await self.store.electorate(poll.id)

    async def outcome(self, poll: Poll) -> Outcome:
        """The count as it stands (or as it was at the close); a time poll's winners are
        the best of its ranking, not merely the most ticked."""
        if poll.outcome:
            return Outcome.from_json(poll.outcome)
        if poll.kind == Kind.TIME:
            return (await self._ranked(poll))[0]
        return tally(
            rules_of(poll), await self._ballots(poll), await self.store.electorate(poll.id)
        )

    async def _ranked(self, poll: Poll) -> tuple[Outcome, tuple[Slot, ...]]:
        """A time poll's count and ranking, each voter's hours read in their own zone."""
        ballots = await self._ballots(poll)
        electorate = await self.store.electorate(poll.id)
        zones = {}
        for voter, ballot in counted(rules_of(poll), ballots, electorate).items():
            zones[voter] = ZoneInfo(await self.zone_for(ballot.person or voter, poll))
        starts = [datetime.fromisoformat(o) for o in poll.options]
        return tally_time(rules_of(poll), ballots, electorate, starts, zones)

    async def _ballots(self, poll: Poll) -> list[Ballot]:
        return [
            Ballot(
                voter=v.voter,
                person=v.person,
                choices=v.choices,
                at=v.at,
                event=v.event,
                reason=v.reason,
            )
            for v in await self.store.votes(poll.id)
        ]

    async def counted_ballots(self, poll: Poll) -> dict[str, Ballot]:
        """Each counted voter's ballot as it stands."""
        return counted(
            rules_of(poll), await self._ballots(poll), await self.store.electorate(poll.id)
        )

    async def vote(
        self,
        poll: Poll,
        sender: UserId,
        typed: str,
        *,
        at: datetime,
        event: str,
        direct: bool,
    ) -> Cast:
        """A vote typed with `!vote`: read (UsageError when it names no option), checked
        and kept."""
        if poll.secret and not direct:
            raise CommandError(
                _(
                    "Poll #{number} is a secret ballot: vote in a direct message to me, so "
                    "nobody in the room sees your choice."
                ).format(number=poll.id)
            )
        choice = read_choice(poll, typed)
        return await self._cast(poll, sender, choice, at=at, event=event)

    async def tapped(self, answer: PollAnswer) -> Cast | None:
        """A tap on a native poll; None when it answers no poll of this bot."""
        poll = await self.store.by_event(answer.poll_event)
        if poll is None or poll.room_id != answer.room_id:
            return None
        index = {f"{n + 1}": n for n in range(len(poll.options))}
        picked = tuple(dict.fromkeys(index[a] for a in answer.answers if a in index))
        if len(picked) != len(answer.answers) or not picked:
            picked = ()  # a spoiled tap takes the earlier vote back (as Element counts it)
        choice = Choice(picked[: poll.max_choices], "")
        return await self._cast(
            poll, answer.sender, choice, at=answer.timestamp, event=answer.event_id
        )

    async def _cast(
        self, poll: Poll, sender: UserId, choice: Choice, *, at: datetime, event: str
    ) -> Cast:
        if poll.state != "open" or at > poll.closes_at:
            why = "cancelled" if poll.state == "cancelled" else "late"
            return Cast(poll, False, why)
        voter, organisation = await self._voter(poll, sender)
        if voter is None:
            why = "not-a-delegate" if poll.voters == "organisations" else "outsider"
            return Cast(poll, False, why)
        if voter not in await self.store.electorate(poll.id):
            return Cast(poll, False, "outsider", organisation=organisation)
        if poll.secret and await self.store.has_voted(poll.id, voter):
            return Cast(poll, False, "secret-twice")
        earlier = await self.store.last_vote(poll.id, voter, poll.closes_at)
        person = "" if poll.secret else sender
        vote = Vote(event, voter, person, choice.options, choice.reason[:500], at)
        if not await self.store.cast(poll.id, vote):
            return Cast(poll, False, "late")
        if poll.secret:
            self.secret_voted = True
        replaced = ""
        if earlier is not None and earlier.choices and earlier.person not in ("", sender):
            replaced = earlier.person  # a fellow delegate's vote for the organisation
        return Cast(
            poll, True, replaced=replaced, organisation=organisation, choice=choice.options
        )

    async def _voter(self, poll: Poll, sender: UserId) -> tuple[str | None, int | None]:
        if poll.voters == "organisations":
            organisation = (await self.electorates.delegations()).get(sender)
            return (f"org:{organisation}" if organisation is not None else None), organisation
        return self.voter_key(poll, sender), None

    async def zone_for(self, user: str, poll: Poll) -> str:
        """The zone a person reads a poll's times in: their own, else the poll's."""
        return zone_of_name(await self.zone_of(user), poll.timezone)

    async def slots(self, poll: Poll) -> tuple[Slot, ...]:
        """A time poll's options ranked by who can make them (each voter in their zone);
        once it closed, as counted at the close."""
        if poll.outcome:
            starts = [datetime.fromisoformat(o) for o in poll.options]
            return stored_slots(Outcome.from_json(poll.outcome), starts)
        return (await self._ranked(poll))[1]

    async def best_time(
        self, number: int, option: int | None, asker: str, room: str
    ) -> tuple[datetime, str]:
        """The time a meeting planned from time poll `number` takes, and the poll's zone:
        the option picked (1 to N, even while the poll is open), else the best of the closed
        poll's ranking (the earliest on a tie). UsageError or NotFound, with the reason, when
        it has none; a poll of a room the asker is not in is one that does not exist."""
        poll = await self.store.get(number)
        if poll is None or not await self.may_see(poll, UserId(asker), RoomId(room)):
            raise NotFound(_("There is no poll #{number}.").format(number=number))
        if poll.kind != Kind.TIME:
            raise UsageError(_("Poll #{number} is not a time poll.").format(number=number))
        if poll.state == "cancelled":
            raise UsageError(_("Poll #{number} was cancelled.").format(number=number))
        if option is not None:
            if not 1 <= option <= len(poll.options):
                raise UsageError(
                    _("Poll #{number} has options 1 to {count}.").format(
                        number=number, count=len(poll.options)
                    )
                )
            return datetime.fromisoformat(poll.options[option - 1]), poll.timezone
        if poll.state != "closed":
            raise UsageError(
                _(
                    "Poll #{number} is still open: its best time is known once it closes (or "
                    "pick one of its times with `option=`, e.g. `option=1`)."
                ).format(number=number)
            )
        result = await self.outcome(poll)
        if not result.winners or not result.quorum_reached:
            raise UsageError(_no_best(poll, result))
        return datetime.fromisoformat(poll.options[result.winners[0]]), poll.timezone

    async def in_room(self, room: RoomId, since: datetime) -> list[Poll]:
        """The room's open polls and those closed since `since`."""
        return await self.store.in_room(room, since)

    async def decisions(self, page: int, size: int) -> tuple[list[Poll], int]:
        """Closed polls, newest first, one page; and how many pages there are."""
        polls, total = await self.store.decided((page - 1) * size, size)
        return polls, max(1, -(-total // size))

    async def public_decisions(
        self, rooms: frozenset[str], page: int, size: int
    ) -> tuple[list[Decision], int]:
        """Closed polls of these rooms with their outcomes, newest first, one page (the last
        for a page past it); and how many pages there are."""
        polls, total = await self.store.decided_in(rooms, (page - 1) * size, size)
        pages = max(1, -(-total // size))
        if page > pages:  # past the last page: the last one
            polls, total = await self.store.decided_in(rooms, (pages - 1) * size, size)
        return [Decision(poll, await self.outcome(poll)) for poll in polls], pages

    async def extend(self, poll: Poll, closes_at: datetime) -> Poll:
        """Move the close later (never earlier: people planned by it)."""
        if poll.state != "open":
            raise CommandError(_("Poll #{number} is not open.").format(number=poll.id))
        if closes_at <= poll.closes_at:
            raise UsageError(_("The closing time can only move later."))
        await self.store.set_closes_at(poll.id, closes_at)
        self.on_change()
        return replace(poll, closes_at=closes_at)

    async def close_now(self, poll: Poll) -> Poll:
        """Close an open poll now (its outcome follows from the closing job)."""
        now = self.clock.now()
        if not await self.store.close_early(poll.id, now):
            raise CommandError(_("Poll #{number} is not open.").format(number=poll.id))
        self.on_change()
        return replace(poll, closes_at=min(now, poll.closes_at))

    def closing_text(self, poll: Poll, tz_name: str) -> str:
        """When the poll closes, in the zone."""
        return full_time(poll.closes_at, tz_name)

    def read_close(self, poll: Poll, typed: str) -> datetime:
        """A new closing time typed in the poll's zone (UsageError when it cannot be)."""
        return read_instant(typed, poll.timezone, self.clock.now())

    async def cancel(self, poll: Poll) -> None:
        """Cancel an open poll: no outcome."""
        if not await self.store.cancel(poll.id):
            raise CommandError(_("Poll #{number} is not open.").format(number=poll.id))
        self.on_change()

    async def votes_of(self, user: str) -> list[tuple[Poll, Vote]]:
        """The person's last vote in each open poll (not secret ones: those keep no person)."""
        last = {poll.id: (poll, vote) for poll, vote in await self.store.votes_of(user)}
        return sorted(last.values(), key=lambda found: found[0].id)

    async def choices_of(self, user: str) -> list[tuple[int, str, str]]:
        """The person's votes in open polls as they read them: (poll, question, choice)."""
        found = []
        for poll, vote in await self.votes_of(user):
            zone = await self.zone_for(user, poll)
            words = ", ".join(option_text(poll, i, zone) for i in vote.choices)
            if words:  # an empty last vote took the earlier one back
                found.append((poll.id, poll.question, words))
        return found

    async def forget(self, user: str) -> int:
        """The person's votes leave polls, and they the electorates; closed outcomes keep
        their counts (their blocks no longer name them)."""
        return await self.store.forget(user)


def _no_best(poll: Poll, result: Outcome) -> str:
    """Why a closed time poll has no best time."""
    if not result.quorum_reached:
        said = _("Poll #{number} did not reach its quorum.")
    else:
        said = _("Nobody ticked a time in poll #{number}.")
    pick = _("Pick one of its times with `option=`, e.g. `option=1`.")
    return f"{said.format(number=poll.id)} {pick}"
