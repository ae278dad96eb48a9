"""Answering for a meeting by reacting to one of its announcements: ✅ yes, ❔ maybe, ❌ no.

A reaction to any announcement or reminder of an occurrence, in the room it was posted in,
answers for that occurrence; a newer reaction replaces the answer, and taking the one that
gave it back leaves the person's latest remaining reaction answering (or no answer). The bot
says nothing and reacts to nothing. An occurrence that is over or cancelled keeps its answers
as they were.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from natm_bot.core.messages import Reaction, Retraction
from natm_bot.features.meetings.occurrences import schedule_of
from natm_bot.storage.announcements import AnnouncementLedger
from natm_bot.storage.meetings import Answer, Meeting, MeetingStore
from natm_bot.storage.rsvp_reactions import Reacted, ReactionStore

# Each key without its variation selector or skin tone (see `answer_of`).
KEYS: dict[str, Answer] = {
    **dict.fromkeys(("\u2705", "\u2714", "\u2611", "\U0001f44d"), "yes"),
    **dict.fromkeys(("\u2754", "\u2753", "\U0001f914"), "maybe"),
    **dict.fromkeys(("\u274c", "\u2716", "\U0001f44e"), "no"),
}
_IGNORED = frozenset({"\ufe0e", "\ufe0f", *map(chr, range(0x1F3FB, 0x1F400))})
LONGEST_KEY = 16  # characters: more than any emoji above with its modifiers


def answer_of(key: str) -> Answer | None:
    """The answer a reaction's key gives (any skin tone, with or without U+FE0F), or None
    for any other key."""
    if len(key) > LONGEST_KEY:
        return None
    return KEYS.get("".join(c for c in key if c not in _IGNORED))


class ReactionAnswers:
    """Turns reactions to announcements into answers for the occurrence announced."""

    def __init__(
        self, store: MeetingStore, ledger: AnnouncementLedger, reactions: ReactionStore
    ) -> None:
        self._store = store
        self._ledger = ledger
        self._reactions = reactions

    async def reacted(self, reaction: Reaction) -> bool:
        """Answer for the occurrence the reacted-to announcement is about; whether the
        reaction gave an answer."""
        answer = answer_of(reaction.key)
        if answer is None:
            return False
        announced = await self._ledger.announced_by(reaction.target)
        if announced is None:
            return False
        source, occurrence, room = announced
        if room != reaction.room_id or source.meeting_id is None:
            return False
        meeting = await self._store.get(source.meeting_id)
        if meeting is None or not _open(meeting, occurrence, reaction.timestamp):
            return False
        at_ms = int(reaction.timestamp.timestamp() * 1000)
        reacted = Reacted(
            reaction.event_id, meeting.id, occurrence, reaction.sender, answer, at_ms
        )
        return await self._reactions.react(reacted)

    async def retracted(self, retraction: Retraction) -> bool:
        """Take back the answer a reaction gave, if the person took back a reaction that
        stands; whether anything changed."""
        reacted = await self._reactions.standing(retraction.redacts)
        if reacted is None or reacted.user_id != retraction.sender:
            return False  # not an answer, or not theirs to take back
        meeting = await self._store.get(reacted.meeting_id)
        if meeting is None or not _open(meeting, reacted.occurrence, retraction.timestamp):
            return False
        await self._reactions.retract(reacted)
        return True


def _open(meeting: Meeting, occurrence: int, at: datetime) -> bool:
    """Whether answers for the occurrence may still change at `at`: the meeting and the
    occurrence are not cancelled, it is still one of the meeting's dates, and not over."""
    if meeting.cancelled or occurrence in meeting.exceptions:
        return False
    try:
        moment = datetime.fromtimestamp(occurrence, UTC)
    except (OverflowError, OSError, ValueError):
        return False
    if schedule_of(meeting).next_after(moment) != [moment]:
        return False  # moved by an edit since it was announced
    return at < moment + timedelta(minutes=meeting.duration_minutes)
