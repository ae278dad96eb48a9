"""Drive the real app in-process as a chat would: for tests, benchmarks and examples."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

from natm_bot.app import App
from natm_bot.config.settings import BotSection, Config, PathsSection, SafetySection
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import Attachment, EventId, Message, Outgoing, RoomId, UserId
from natm_bot.engine.rendering import render
from natm_bot.transport.memory import MemoryTransport

LOBBY = RoomId("!lobby:localhost")


@dataclass(frozen=True)
class Seen:
    """A reply as a person would see it: where, the plain text and the HTML."""

    room_id: RoomId
    body: str
    html: str
    attachment: Attachment | None
    in_reply_to: EventId | None
    at: datetime | None = None  # when it was sent, for announcements


def make_config(folder: Path, *, rate_limited: bool = False, **bot: object) -> Config:
    """A config for in-process runs: a database in `folder`, bot settings overridable.

    Scripted chats type faster than people, so the per-person rate limit is lifted unless
    `rate_limited` asks for the real defaults."""
    safety = (
        SafetySection() if rate_limited else SafetySection(rate_burst=1000, rate_per_minute=6000)
    )
    return Config(
        bot=BotSection.model_validate(bot),
        paths=PathsSection(database=folder / "natm-bot.sqlite3"),
        safety=safety,
        base_dir=folder,
    )


class ChatHarness:
    """The real App over the in-memory transport; `send` returns what the bot answered."""

    def __init__(self, config: Config, clock: ManualClock | None = None) -> None:
        self.transport = MemoryTransport()
        self.transport.join(LOBBY)
        self.clock = clock or ManualClock(datetime.now(UTC))
        self.app = App(config, self.transport, clock=self.clock)
        self._ids = itertools.count(1)

    async def __aenter__(self) -> ChatHarness:
        await self.app.start()
        await self.app.announcer.load()
        return self

    async def advance(self, **delta: float) -> list[Seen]:
        """Move the clock forward, waking the announcer at each due time as the scheduler
        would; what the bot sent meanwhile."""
        seen: list[Seen] = []
        target = self.clock.now() + timedelta(**delta)
        while (due := self.app.announcer.next_due()) is not None and due <= target:
            self.clock.set(due)
            seen += await self._sweep()
        self.clock.set(target)
        return seen + await self._sweep()

    async def _sweep(self) -> list[Seen]:
        before = len(self.transport.sent)
        await self.app.announcer.sweep()
        now = self.clock.now()
        return [self._seen(out, now) for out in self.transport.sent[before:]]

    @staticmethod
    def _seen(out: Outgoing, at: datetime | None = None) -> Seen:
        rendered = render(out.reply.markdown)
        same_room = out.in_reply_to and out.in_reply_to.room_id == out.room_id
        reply_to = out.in_reply_to.reply_target if out.in_reply_to and same_room else None
        return Seen(out.room_id, rendered.body, rendered.html, out.reply.attachment, reply_to, at)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.app.close()

    async def send(
        self,
        text: str,
        *,
        sender: str = "@alice:localhost",
        room: str = LOBBY,
        is_direct: bool = False,
        event_id: str | None = None,
        typed_at: datetime | None = None,
    ) -> list[Seen]:
        """Type `text` as `sender` in `room` (now, or at `typed_at` as if the bot had been
        away); the replies the bot sent for it."""
        message = Message(
            room_id=RoomId(room),
            sender=UserId(sender),
            body=text,
            event_id=EventId(event_id or f"$harness-{next(self._ids)}"),
            is_direct=is_direct,
            timestamp=typed_at or self.clock.now(),
        )
        return [self._seen(out) for out in await self.app.process(message)]

    async def ask(self, text: str, **kwargs: object) -> str:
        """The single reply's plain text (fails when there is not exactly one reply)."""
        replies = await self.send(text, **kwargs)  # type: ignore[arg-type]
        assert len(replies) == 1, f"expected one reply to {text!r}, got {len(replies)}"
        return replies[0].body
