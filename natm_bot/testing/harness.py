"""Drive the real app in-process as a chat would: for tests, benchmarks and examples."""

from __future__ import annotations

import atexit
import hashlib
import itertools
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType

from natm_bot.app import App, commands_of, load_checked_content
from natm_bot.config.content import Content
from natm_bot.config.settings import BotSection, Config, PathsSection, SafetySection
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import (
    Attachment,
    EventId,
    Membership,
    Message,
    Outgoing,
    PollAnswer,
    Reaction,
    Retraction,
    RoomId,
    Tombstone,
    UserId,
)
from natm_bot.engine.registry import Registry
from natm_bot.engine.rendering import render
from natm_bot.storage import Database
from natm_bot.storage.inspection import copy_database
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


# What building a bot costs is mostly reading and checking the data files, loading the
# commands and migrating a new database: each is done once per process and reused, as the
# bot itself would find them.
_CONTENT: dict[tuple[str, date], Content] = {}
_COMMANDS: dict[str, Registry] = {}
_TEMPLATE: list[Path] = []
_SCRATCH: list[Path] = []


def _digest(folder: Path) -> str:
    """The folder's place and the names and bytes of every file in it."""
    digest = hashlib.sha256(str(folder.resolve()).encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(f"\0{path.relative_to(folder)}\0{path.stat().st_size}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def checked_content(config: Config, today: date) -> Content:
    """The config's data files loaded and checked as of `today`, once per process for each
    set of their bytes (a test that edits a file gets that file read)."""
    key = (_digest(config.folder("data")), today)
    if key not in _CONTENT:
        _CONTENT[key] = load_checked_content(config.folder("data"), today)
    return _CONTENT[key]


def commands(config: Config) -> Registry:
    """The commands of the config's folder, loaded once per process for each set of files."""
    key = _digest(config.folder("commands"))
    if key not in _COMMANDS:
        _COMMANDS[key] = commands_of(config)
    return _COMMANDS[key]


def _scratch() -> Path:
    """This process's own folder for what the harness keeps, removed when it exits."""
    if not _SCRATCH:
        folder = Path(tempfile.mkdtemp(prefix="natm-bot-harness-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _SCRATCH.append(folder)
    return _SCRATCH[0]


def _private_copy(source: Path, target: Path) -> None:
    """`source`'s bytes in a new file `target` that only its owner may read, unless there
    is a file there already or none can be made (then the bot meets the folder as it is)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return
    with os.fdopen(fd, "wb") as copy:
        copy.write(source.read_bytes())


async def new_database(path: Path) -> None:
    """Put at `path`, when nothing is there, the migrated empty database that opening a new
    file makes: a private copy of one migrated once per process."""
    if not _TEMPLATE:
        template = Database(_scratch() / "template.sqlite3")
        await template.open()
        await template.close()
        _TEMPLATE.append(template.path)
    _private_copy(_TEMPLATE[0], path)


class ChatHarness:
    """The real App over the in-memory transport; `send` returns what the bot answered.

    `reset()` gives the bot back as new (its database as a first start at that time leaves
    it, nothing sent, the clock at its first time): one harness serves every example of a
    property test, each example independent of the others."""

    def __init__(self, config: Config, clock: ManualClock | None = None) -> None:
        self.config = config
        self.clock = clock or ManualClock(datetime.now(UTC))
        self._began = self.clock.now()
        self.transport, self.app = self._build()
        self._ids = itertools.count(1)
        # The database as a first start left it, for each start time and set of files.
        self._started: dict[tuple[datetime, int, int], Path] = {}

    def _build(self) -> tuple[MemoryTransport, App]:
        transport = MemoryTransport()
        transport.join(LOBBY)
        content = checked_content(self.config, self.clock.now().date())
        app = App(
            self.config, transport, self.clock, content=content, registry=commands(self.config)
        )
        return transport, app

    async def __aenter__(self) -> ChatHarness:
        await new_database(self.config.resolve(self.config.paths.database))
        await self.app.start()
        await self.app.announcer.load()
        return self

    async def reset(self, at: datetime | None = None) -> None:
        """Close the bot and start it again as new, its clock at `at` (else the time it
        first showed). The first start at a time is a real first start; later ones begin
        from a copy of the database it left."""
        await self.app.close()
        path = self.config.resolve(self.config.paths.database)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        self.clock = ManualClock(at or self._began)
        self.transport, self.app = self._build()
        key = (self.clock.now(), id(self.app.content), id(self.app.registry))
        if started := self._started.get(key):
            _private_copy(started, path)
        await self.__aenter__()
        if not started:
            self._started[key] = _scratch() / f"started-{uuid.uuid4().hex}.sqlite3"
            copy_database(path, self._started[key])

    async def advance(self, **delta: float) -> list[Seen]:
        """Move the clock forward, waking the announcer at each due time as the scheduler
        would; what the bot sent meanwhile."""
        seen: list[Seen] = []
        target = self.clock.now() + timedelta(**delta)
        while (due := self._next_due()) is not None and due <= target:
            self.clock.set(due)
            seen += await self._sweep()
        self.clock.set(target)
        return seen + await self._sweep()

    def _next_due(self) -> datetime | None:
        """The earliest wake-up of the timed jobs (announcements, polls, minutes…)."""
        due = [d for d in (job.next_due() for job in self.app.timed) if d]
        return min(due) if due else None

    async def _sweep(self) -> list[Seen]:
        before = len(self.transport.sent)
        for job in self.app.timed:
            await job.sweep()
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
        thread: str | None = None,
        mentions: tuple[str, ...] = (),
    ) -> list[Seen]:
        """Type `text` as `sender` in `room` (in `thread`, mentioning `mentions` as pills
        do; now, or at `typed_at` as if the bot had been away); the replies the bot sent for
        it."""
        message = Message(
            room_id=RoomId(room),
            sender=UserId(sender),
            body=text,
            event_id=EventId(event_id or f"$harness-{next(self._ids)}"),
            is_direct=is_direct,
            timestamp=typed_at or self.clock.now(),
            thread_id=EventId(thread) if thread else None,
            mentions=tuple(UserId(m) for m in mentions),
        )
        return [self._seen(out) for out in await self.app.process(message)]

    async def tap(
        self,
        poll_event: str,
        *answers: str,
        sender: str = "@alice:localhost",
        room: str = LOBBY,
        event_id: str | None = None,
        tapped_at: datetime | None = None,
    ) -> list[Seen]:
        """Tap `answers` (answer ids; none: a spoiled vote) on the native poll whose start
        event is `poll_event` (see `transport.polls`), as `sender` in `room`, now or at
        `tapped_at`; the replies the bot sent for it."""
        answer = PollAnswer(
            room_id=RoomId(room),
            sender=UserId(sender),
            event_id=EventId(event_id or f"$harness-{next(self._ids)}"),
            timestamp=tapped_at or self.clock.now(),
            poll_event=EventId(poll_event),
            answers=answers,
        )
        return [self._seen(out) for out in await self.app.process(answer)]

    async def react(
        self,
        target: str,
        key: str,
        *,
        sender: str = "@alice:localhost",
        room: str = LOBBY,
        event_id: str | None = None,
    ) -> EventId:
        """React with `key` to the event `target` (see `transport.event_of`) as `sender`;
        the reaction's event id (to take it back with `retract`)."""
        reaction = Reaction(
            room_id=RoomId(room),
            sender=UserId(sender),
            event_id=EventId(event_id or f"$harness-{next(self._ids)}"),
            timestamp=self.clock.now(),
            target=EventId(target),
            key=key,
        )
        await self.app.process(reaction)
        return reaction.event_id

    async def retract(
        self, event: str, *, sender: str = "@alice:localhost", room: str = LOBBY
    ) -> list[Seen]:
        """Take back (redact) the event `event` (a reaction, a message) as `sender`."""
        retraction = Retraction(
            room_id=RoomId(room),
            sender=UserId(sender),
            event_id=EventId(f"$harness-{next(self._ids)}"),
            timestamp=self.clock.now(),
            redacts=EventId(event),
        )
        return [self._seen(out) for out in await self.app.process(retraction)]

    async def member(
        self,
        user: str,
        membership: str,
        *,
        room: str,
        previous: str | None = None,
        sender: str | None = None,
    ) -> list[Seen]:
        """Change `user`'s membership of `room` (a knock, join, leave…, from `previous`),
        as `sender` (the user themself unless given); the notices the bot sent for it."""
        change = Membership(
            room_id=RoomId(room),
            sender=UserId(sender or user),
            event_id=EventId(f"$harness-{next(self._ids)}"),
            timestamp=self.clock.now(),
            user=UserId(user),
            membership=membership,
            previous=previous,
        )
        return [self._seen(out) for out in await self.app.process(change)]

    async def upgrade(
        self, room: str, new: str, *, sender: str = "@alice:localhost", event_id: str = ""
    ) -> list[Seen]:
        """Upgrade `room` to `new` as `sender` would (its tombstone); what the bot sent."""
        tombstone = Tombstone(
            room_id=RoomId(room),
            sender=UserId(sender),
            event_id=EventId(event_id or f"$harness-{next(self._ids)}"),
            timestamp=self.clock.now(),
            replacement=RoomId(new),
            body="This room has been replaced",
        )
        return [self._seen(out) for out in await self.app.process(tombstone)]

    async def ask(self, text: str, **kwargs: object) -> str:
        """The single reply's plain text (fails when there is not exactly one reply)."""
        replies = await self.send(text, **kwargs)  # type: ignore[arg-type]
        assert len(replies) == 1, f"expected one reply to {text!r}, got {len(replies)}"
        return replies[0].body
