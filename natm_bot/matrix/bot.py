"""What the Matrix adapter needs from the bot it serves, and nothing more."""

from __future__ import annotations

from typing import Protocol

from natm_bot.core.messages import Incoming, Message, Outgoing


class Bot(Protocol):
    """The bot behind the Matrix adapter: it answers messages and keeps its own house."""

    async def start(self) -> None:
        """Get ready to answer (open the database…), before any message comes."""

    async def close(self) -> None:
        """Stop announcing and release what `start` opened."""

    def is_command(self, body: str) -> bool:
        """Whether a message body is addressed to the bot."""

    def is_note(self, body: str) -> bool:
        """Whether a message body is a line of minutes (`#info …`) the bot may record."""

    def is_answer(self, message: Message) -> bool:
        """Whether a direct message is a newcomer's reply to their welcome."""

    async def process(self, item: Incoming) -> list[Outgoing]:
        """Act on one command, line of minutes, poll answer, reaction or retraction: the
        replies, already sent."""

    async def unreadable(self, message: Message) -> None:
        """Tell the sender of an encrypted message that it could not be read (its room key
        never came) and ask them to send it again; `message` has no body."""

    async def start_scheduler(self) -> None:
        """Start the timed work (announcements), once the rooms are known."""

    async def checkpoint_if_due(self) -> None:
        """Housekeeping asked for right after an answer (someone was forgotten)."""
