"""What the bot says about polls outside the reply to a command: the native poll it starts
in the room, and the private notes on votes that did not count (or replaced another)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from natm_bot.core.i18n import _, speaking
from natm_bot.core.markdown import md_escape
from natm_bot.core.messages import PollAnswer, Reply, RoomId, UserId
from natm_bot.features.polls.closing import PollTransport, RoomLanguage, poll_txn
from natm_bot.features.polls.service import Cast, PollService
from natm_bot.features.polls.views import native, option_text
from natm_bot.storage.polls import Poll
from natm_bot.transport import SendFailed

log = logging.getLogger(__name__)

OrganisationName = Callable[[int], Awaitable[str]]


class PersonLanguage(RoomLanguage, Protocol):
    """The language a person and a room read the bot in."""

    async def for_person(self, user: str) -> str:
        """The person's language."""


class PollDesk:
    """Starts native polls and writes the notes about votes."""

    def __init__(
        self,
        service: PollService,
        transport: PollTransport,
        languages: PersonLanguage,
        organisation_name: OrganisationName,
        prefix: str,
    ) -> None:
        self.service = service
        self.transport = transport
        self.languages = languages
        self.organisation_name = organisation_name
        self.prefix = prefix

    async def start_native(self, poll: Poll) -> bool:
        """Start the poll as a native Matrix poll in its room (not a secret ballot: a
        native poll's votes are seen by the room), once; False when the room refused it
        (then people vote by typing)."""
        if poll.secret or poll.poll_event:
            return not poll.secret
        with speaking(await self.languages.for_room(poll.room_id)):
            content = native(poll, self.prefix)
        try:
            event = await self.transport.start_poll(
                RoomId(poll.room_id), content, poll_txn(poll, "start")
            )
        except SendFailed as refused:
            log.warning("could not start poll %d as a native poll: %s", poll.id, refused)
            return False
        await self.service.native_started(poll, event)
        return True

    async def tapped(self, answer: PollAnswer) -> list[Reply]:
        """A tap on a native poll: counted quietly; the notes to send privately."""
        cast = await self.service.tapped(answer)
        if cast is None:
            return []
        log.info("poll %d: a tap %s", cast.poll.id, "counted" if cast.counted else cast.why)
        return await self.notes(cast, answer.sender, tapped=True)

    async def notes(self, cast: Cast, sender: UserId, *, tapped: bool = False) -> list[Reply]:
        """What to tell about a vote: to its voter (privately for a tap, where a counted
        one needs no word), and to a fellow delegate whose vote it replaced."""
        notes: list[Reply] = []
        with speaking(await self.languages.for_person(sender)):
            text = await self._note(cast, sender)
        if text and (not tapped or not cast.counted or cast.replaced):
            # A vote that does not count is the voter's business: told privately.
            private = Reply(text, to_user=sender) if tapped else Reply(text, private=True)
            notes.append(private if not cast.counted else Reply(text))
        if cast.counted and cast.replaced and cast.organisation is not None:
            other = UserId(cast.replaced)
            with speaking(await self.languages.for_person(other)):
                name = await self.organisation_name(cast.organisation)
                told = _(
                    "{person} voted for {organisation} in poll #{number}: that vote now "
                    "counts for the organisation, in place of yours."
                ).format(person=sender, organisation=md_escape(name), number=cast.poll.id)
            notes.append(Reply(told, to_user=other))
        return notes

    async def _note(self, cast: Cast, sender: UserId) -> str:
        poll = cast.poll
        if cast.counted:
            return await self._counted(cast, sender)
        zone = await self.service.zone_for(sender, poll)
        notes = {
            "late": _(
                "Poll #{number} closed {when}: your vote came after the close and is not counted."
            ),
            "cancelled": _("Poll #{number} was cancelled: there is nothing to vote on."),
            "outsider": _(
                "Only the people who could vote when poll #{number} opened may vote in it: "
                "your vote is not counted."
            ),
            "not-a-delegate": _(
                "Poll #{number} is a vote of the member organisations, cast by their "
                "delegates, and you are not one: your vote is not counted. A bot admin can "
                "name you your organisation's delegate."
            ),
            "secret-twice": _(
                "You have already voted in poll #{number}, a secret ballot: a secret vote is "
                "final."
            ),
        }
        return notes[cast.why].format(number=poll.id, when=self.service.closing_text(poll, zone))

    async def _counted(self, cast: Cast, sender: UserId) -> str:
        poll = cast.poll
        zone = await self.service.zone_for(sender, poll)
        picked = ", ".join(md_escape(option_text(poll, i, zone)) for i in cast.choice)
        text = _("Your vote in poll #{number} is counted: {choice}.").format(
            number=poll.id, choice=picked or "—"
        )
        if poll.secret:
            return text + " " + _("It is final: this is a secret ballot.")
        text += " " + _("You can change it until {when}.").format(
            when=self.service.closing_text(poll, zone)
        )
        if cast.replaced and cast.organisation is not None:
            name = await self.organisation_name(cast.organisation)
            text += " " + _(
                "It counts for {organisation}, in place of the vote {person} cast for it."
            ).format(organisation=md_escape(name), person=cast.replaced)
        return text
