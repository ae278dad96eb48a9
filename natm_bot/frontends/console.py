"""`natm-bot console`: the whole bot in a terminal, with no homeserver."""

from __future__ import annotations

import asyncio
import itertools
import sys
import threading
from typing import TextIO

from natm_bot.app import App
from natm_bot.config.settings import Config
from natm_bot.core.messages import EventId, Message, NativePoll, Outgoing, RoomId, UserId
from natm_bot.engine.rendering import render
from natm_bot.transport.memory import MemoryTransport

CONSOLE_HELP = """Console commands:
  /as <@user:server>   speak as another user
  /room <!room:server> move to another room (/room dm: your direct-message room)
  /pl <level>          set your power level in this room (50 = moderator by default)
  /whoami              show who and where you are
  /quit                leave (Ctrl-D works too)
Anything else is sent to the bot as a chat message, e.g. {prefix}help"""


class ConsoleTransport(MemoryTransport):
    """Prints each reply as the plain text a Matrix client would show in a notification."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self._out = out

    def power_level(self, room_id: RoomId, user_id: UserId) -> int | None:
        """As set with /pl; a room visited without /pl is one whose state is unknown."""
        if room_id not in self.known_rooms:
            self.without_state(room_id)
        return super().power_level(room_id, user_id)

    async def send(self, out: Outgoing) -> EventId:
        """Print the reply, marking direct messages and threads."""
        event = await super().send(out)
        where = " (direct message)" if self.is_direct(out.room_id) else ""
        where += " (in a thread)" if out.thread else ""
        text = render(out.reply.markdown).body
        self._out.write(f"natm-bot{where}:\n{text}\n")
        if out.reply.attachment:
            size = len(out.reply.attachment.data)
            self._out.write(f"[file {out.reply.attachment.filename}, {size} bytes]\n")
        self._out.flush()
        return event

    async def react(self, room_id: RoomId, event_id: EventId, key: str, txn_id: str) -> EventId:
        """Print the reaction, as a client shows it under the line it marks."""
        event = await super().react(room_id, event_id, key, txn_id)
        self._out.write(f"natm-bot reacted {key}\n")
        self._out.flush()
        return event

    async def start_poll(self, room_id: RoomId, poll: NativePoll, txn_id: str) -> EventId:
        """Print the poll as a client without polls shows it."""
        event = await super().start_poll(room_id, poll, txn_id)
        self._out.write(f"natm-bot (poll):\n{render(poll.fallback).body}\n")
        self._out.flush()
        return event

    async def end_poll(
        self, room_id: RoomId, poll_event: EventId, text: str, txn_id: str
    ) -> EventId:
        """Print the end of a poll."""
        event = await super().end_poll(room_id, poll_event, text, txn_id)
        self._out.write(f"natm-bot (poll ended):\n{text}\n")
        self._out.flush()
        return event


def _reader(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]) -> None:
    for line in sys.stdin:
        loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\n"))
    loop.call_soon_threadsafe(queue.put_nowait, None)


class Console:
    """The read-eval-print loop: meta-commands start with '/', everything else is chat."""

    def __init__(self, app: App, transport: ConsoleTransport, out: TextIO) -> None:
        self.app = app
        self.transport = transport
        self.out = out
        self.user = UserId("@you:localhost")
        self.room = RoomId("!lobby:localhost")
        self._ids = itertools.count(1)

    def _say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def meta(self, line: str) -> bool:
        """Run a console command; False when the console should end."""
        verb, _, arg = line.partition(" ")
        arg = arg.strip()
        if verb == "/quit":
            return False
        if verb == "/as" and arg.startswith("@") and ":" in arg:
            self.user = UserId(arg)
        elif verb == "/room" and arg == "dm":
            self.room = await self.transport.direct_room(self.user)
        elif verb == "/room" and arg[:1] in "!#" and ":" in arg:
            self.room = RoomId(arg)
        elif verb == "/pl" and arg.lstrip("-").isdigit():
            self.transport.set_power_level(self.room, self.user, int(arg))
        elif verb != "/whoami":
            self._say(CONSOLE_HELP.format(prefix=self.app.config.bot.prefix))
            return True
        level = self.transport.power_level(self.room, self.user) or 0
        self._say(f"[you are {self.user} in {self.room}, power level {level}]")
        return True

    async def chat(self, line: str) -> None:
        """Send a line to the bot as a message from the current user and room (whoever
        speaks in a room is one of its members, as in Matrix)."""
        self.transport.add_members(self.room, self.user)
        message = Message(
            room_id=self.room,
            sender=self.user,
            body=line,
            event_id=EventId(f"$console-{next(self._ids)}-{id(self)}"),
            timestamp=self.app.clock.now(),
            is_direct=self.transport.is_direct(self.room),
        )
        if not await self.app.process(message) and line.startswith(self.app.config.bot.prefix):
            self._say("(no reply)")

    async def greet(self) -> None:
        """The first lines: how to get help from the bot (with its prefix) and the console."""
        prefix = self.app.config.bot.prefix
        self._say(
            f"natm-bot console. Type {prefix}help for the bot's commands, /help for the console's."
        )
        await self.meta("/whoami")

    async def run(self) -> None:
        """Read lines until /quit or end of input."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        threading.Thread(target=_reader, args=(loop, queue), daemon=True).start()
        await self.greet()
        while (line := await queue.get()) is not None:
            if not line.strip():
                continue
            if line.startswith("/") and not await self.meta(line.strip()):
                break
            if not line.startswith("/"):
                await self.chat(line)


async def run_console(config: Config, out: TextIO = sys.stdout) -> None:
    """Start the app on the console transport and serve until the user leaves."""
    transport = ConsoleTransport(out)
    app = App(config, transport)
    await app.start()
    try:
        await app.start_scheduler()
        await Console(app, transport, out).run()
    finally:
        await app.close()
