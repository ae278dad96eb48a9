"""A change to a meeting, drafted before it is saved, so that who may make it is judged on
the meeting as it was and as it would be."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from natm_bot.storage.meetings import Meeting

if TYPE_CHECKING:
    from natm_bot.context import Context


@dataclass(frozen=True)
class MeetingChange:
    """A meeting as a command would leave it, beside how it was (None for a new one)."""

    before: Meeting | None
    after: Meeting


class NewMeeting:
    """Argument converter: the fields of `!meeting add` → the meeting they would plan."""

    rest = True  # the fields take the rest of the line

    async def convert(self, ctx: Context, text: str) -> MeetingChange:
        """The drafted meeting; nothing is saved until the command is allowed."""
        sender, room = ctx.message.sender, ctx.message.room_id
        draft = await ctx.app.meetings.draft(text, asker=sender, room=room)
        return MeetingChange(None, draft)


class EditedMeeting:
    """Argument converter: the fields of `!meeting edit <n>` → the meeting as they would
    leave it (the meeting itself is the argument bound before)."""

    rest = True
    takes_bound = True

    async def convert(self, ctx: Context, text: str, bound: Mapping[str, Any]) -> MeetingChange:
        """The meeting before and after; nothing is saved until the command is allowed."""
        before = next(v for v in bound.values() if isinstance(v, Meeting))
        return MeetingChange(before, await ctx.app.meetings.draft_edit(before, text))


NewMeetingArg = Annotated[MeetingChange, NewMeeting()]
EditedMeetingArg = Annotated[MeetingChange, EditedMeeting()]
