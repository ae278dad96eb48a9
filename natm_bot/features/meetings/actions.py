"""Action items: adopted from the minutes, listed, marked done and handed on in chat.

Who may act on an action is said by the command that looks it up (its owner, an organiser
of its meeting, a coordinator of its group, an admin); the service keeps the rules of the
action itself (one owner, done once, text a line long)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from natm_bot.config.validation import MXID_RE
from natm_bot.core.errors import CommandError
from natm_bot.core.i18n import _
from natm_bot.core.text import neutralise
from natm_bot.features.meetings.minutes_model import NewAction
from natm_bot.storage.actions import Action, ActionStore, NewRow

log = logging.getLogger(__name__)

__all__ = ["Action", "ActionService", "NewAction"]

MAX_TEXT = 500
LISTED = 25  # `!actions` shows at most this many (a message must stay under 64 KiB)
IN_GROUP_CARD = 5  # `!group` shows at most this many


def _row(item: NewAction) -> NewRow | None:
    """The row an action of the minutes becomes; None when it holds no text."""
    text = neutralise(" ".join(item.text.split()))[:MAX_TEXT]
    if not text:
        return None
    owner = item.owner if item.owner and MXID_RE.fullmatch(item.owner) else None
    return NewRow(item.source_event, owner, text, item.due)


class ActionService:
    """Action items of meetings, over one store; `on_change` re-plans the due-date
    reminders (the app sets it to the reminder job's `changed`)."""

    def __init__(self, store: ActionStore) -> None:
        self._store = store
        self.on_change: Callable[[], None] = lambda: None

    async def adopt(
        self,
        meeting_id: int,
        occurrence: int,
        group_id: str | None,
        items: Sequence[NewAction],
    ) -> None:
        """Keep the actions the minutes of an occurrence named, each once however often the
        minutes are posted (keyed by the line that named it)."""
        rows = [row for row in map(_row, items) if row is not None]
        added = await self._store.adopt(meeting_id, occurrence, group_id, rows)
        if added:
            log.info("meeting %d: %d new action items", meeting_id, added)
            self.on_change()

    async def get(self, number: int) -> Action | None:
        """Action #`number`, done or not; None when there is none."""
        return await self._store.get(number)

    async def mine(self, user: str) -> list[Action]:
        """The person's open actions."""
        return await self._store.open_of(user, LISTED)

    async def in_group(self, group_id: str, limit: int = LISTED) -> list[Action]:
        """A group's open actions."""
        return await self._store.open_in_group(group_id, limit)

    async def done(self, action: Action, by: str) -> None:
        """Mark it done; CommandError when it was done already."""
        if action.done or not await self._store.mark_done(action.id, by):
            raise CommandError(_already_done(action))
        self.on_change()

    async def reassign(self, action: Action, owner: str) -> None:
        """Give it to `owner`; CommandError when it is done, or theirs already."""
        if action.owner == owner:
            raise CommandError(
                _("Sorry, action #{number} is already theirs.").format(number=action.id)
            )
        if action.done or not await self._store.reassign(action.id, owner):
            raise CommandError(_already_done(action))
        self.on_change()

    async def of_person(self, user: str) -> list[Action]:
        """Every action the person owns, done or not (for `!mydata`)."""
        return await self._store.of_person(user)

    async def forget(self, user: str) -> int:
        """Take the person off every action; the actions stay, unassigned."""
        forgotten = await self._store.forget(user)
        self.on_change()
        return forgotten


def _already_done(action: Action) -> str:
    return _("Sorry, action #{number} is done already.").format(number=action.id)
