"""Soak: the real bot for an hour under a light, steady load; is it as healthy at the end?

Starts a throwaway local Synapse on 127.0.0.1 and `natm-bot run` with bot.example.yaml's
settings (its matrix section pointed at that Synapse, the organiser as the one admin and
the one person whose invitations it accepts), in a plain and an encrypted room. Then, for
`--minutes`, in both rooms:

- a person types a command every 3-5 s from a mix (`!principles`, `!principles 3`,
  `!readings`, `!groups`, `!meetings`, `!help`, `!mygroups`, `!tz Europe/Berlin`…) and
  waits for each reply (at most `--patience` seconds, then types the next one);
- `--joiners` other people `!join` and `!leave` the working groups of data/groups.yaml,
  one command every 8-15 s each;
- an organiser (the bot's admin) plans one-off meetings (`!meeting add … reminders=0`), so
  that an announcement falls due every `--announce-every` minutes;
- at `--restart-at` of the run the bot gets SIGTERM and is started again `--downtime`
  seconds after it exited; what is typed meanwhile must be answered once it is back, and
  one announcement falls due while it is down.

Every `--window` minutes (printed `--grace` seconds after the window ends, so late replies
count) and again, final, at the end: commands sent / answered exactly once / missing /
doubled (replies matched by `m.in_reply_to`, as all the people's clients saw them);
announcements due / sent / missed / doubled; round trip p50 and p99 (send → the reply in
the sender's client; commands that met the restart left out); the bot's RSS, open file
descriptors, database and WAL size; ERROR lines in its log. Then a summary line and a
PASS/FAIL verdict against the targets (exit status 1 on FAIL).

    .venv/bin/python bench/soak.py [--minutes 60] [--window 5] [--housekeeping SECONDS]
        [--announce-every 2] [--downtime 20] [--restart-at 0.5] [--grace 30]
        [--patience 10] [--joiners 2] [--wal-limit-mb 5] [--seed 1] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import math
import os
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml
from nio import Event, MatrixRoom, MegolmEvent

from bench.common import (
    ROOT,
    cpu_seconds,
    file_size,
    machine,
    open_fds,
    percentiles,
    rss_mb,
    table,
)
from natm_bot.testing.devserver import LocalSynapse
from tests.integration.people import BotProcess, Person

MIX = (
    "!principles",
    "!principles 3",
    "!readings",
    "!groups",
    "!meetings",
    "!help",
    "!mygroups",
    "!tz Europe/Berlin",
    "!readings intro",
    "!about",
    "!tz",
    "!help join",
)
PROBE = "!help join"  # typed to warm up and, at the end, to flush each room's queue
TITLE = "Soak check {number}"
TITLE_RE = re.compile(r"\bSoak check (\d+)\b")
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ ([A-Z]+) (.*)")
PLAN_AHEAD_S = 90.0  # the organiser plans each meeting this long before it is due
FIRST_DUE_S = 60.0  # the first announcement, after the start of the run
SAMPLE_EVERY_S = 5.0
RSS_GROWTH_MB = 10.0
P99_RATIO = 1.2


# ----------------------------------------------------------------------------------------------
# What the people see.


@dataclass
class Seen:
    """What the people's clients saw of the bot, all clients together (by event id)."""

    replies: defaultdict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    announcements: defaultdict[int, dict[str, float]] = field(
        default_factory=lambda: defaultdict(dict)
    )  # number → {event id: the homeserver's timestamp, s}
    late: set[str] = field(default_factory=set)  # announcements marked late
    undecrypted: set[str] = field(default_factory=set)
    decrypted: set[str] = field(default_factory=set)

    def count(self, event_id: str) -> int:
        """How many distinct replies answer `event_id`."""
        return len(self.replies.get(event_id, {}))


class Participant(Person):
    """A person in both rooms whose client notes every message of the bot as it arrives."""

    def __init__(
        self, hs: LocalSynapse, mxid: str, password: str, store: Path, seen: Seen, bot: str
    ) -> None:
        super().__init__(hs, mxid, password, store)
        self.seen = seen
        self.bot = bot
        self.arrivals: dict[str, tuple[float, float]] = {}  # command → (perf, wall) of reply
        # Registered before Person's own callback, so a waiter woken by it sees the reply.
        self.client.add_event_callback(self._observe, Event)

    async def _observe(self, room: MatrixRoom, event: Event) -> None:
        if event.sender != self.bot:
            return
        if isinstance(event, MegolmEvent):
            self.seen.undecrypted.add(event.event_id)
            return
        self.seen.decrypted.add(event.event_id)
        content = event.source.get("content", {})
        body = content.get("body") if isinstance(content.get("body"), str) else ""
        relation = content.get("m.relates_to") or {}
        target = (relation.get("m.in_reply_to") or {}).get("event_id")
        if isinstance(target, str):
            self.seen.replies[target][event.event_id] = body
            self.arrivals.setdefault(target, (time.perf_counter(), time.time()))
            return
        match = TITLE_RE.search(body)
        if match is not None:
            number = int(match.group(1))
            self.seen.announcements[number][event.event_id] = event.server_timestamp / 1000
            if "Late:" in body:
                self.seen.late.add(event.event_id)


# ----------------------------------------------------------------------------------------------
# What happened during the run.


@dataclass
class Command:
    """One command a person typed."""

    who: Participant
    room: str
    body: str
    event_id: str
    sent_at: float  # wall clock, just before room_send
    sent_perf: float


@dataclass
class Planned:
    """A meeting the organiser plans so that its one announcement falls due at `due`."""

    number: int
    due: float  # wall clock
    room: str
    while_down: bool = False  # the one planned to fall due during the restart
    command: str | None = None  # event id of the `!meeting add`


@dataclass
class Sample:
    """The bot process and its files at one moment."""

    at: float
    pid: int
    rss_mb: float
    fds: int
    db: int
    wal: int
    cpu_s: float  # the bot's CPU time so far
    load: float  # the machine's 1-minute load average


@dataclass
class Life:
    """One bot process, from spawn to exit."""

    pid: int
    up: float  # when it had synced ("connected to" in its log)
    ended: float | None = None
    exit_code: int | None = None


@dataclass(frozen=True)
class Options:
    """The command line."""

    minutes: float
    window_s: float
    housekeeping: int | None
    announce_every_s: float
    downtime_s: float
    restart_at: float
    grace_s: float
    patience_s: float
    joiners: int
    wal_limit_mb: float
    seed: int
    keep: bool


# ----------------------------------------------------------------------------------------------
# The run.


class Soak:
    """Owns Synapse, the bot process and the people; drives the load and keeps the records."""

    def __init__(self, options: Options, folder: Path) -> None:
        self.o = options
        self.folder = folder
        self.hs = LocalSynapse(folder / "synapse")
        self.seen = Seen()
        self.rng = random.Random(options.seed)
        self.bot: BotProcess | None = None
        self.db_path = folder / "bot"
        self.people: list[Participant] = []
        self.organiser: Participant
        self.reader: Participant
        self.joiners: list[Participant] = []
        self.rooms: list[str] = []  # plain, encrypted
        self.typed: set[str] = set()  # every event id the people sent, counted or not
        self.commands: list[Command] = []
        self.planned: list[Planned] = []
        self.samples: list[Sample] = []
        self.lives: list[Life] = []
        self.downs: list[tuple[float, float | None]] = []  # SIGTERM → synced again
        self.notes: list[str] = []
        self.t0 = 0.0
        self.end = 0.0
        self._restarting = False
        self._printed = 0
        self.interrupted = False

    # ----- setting up -------------------------------------------------------------------------

    async def setup(self) -> None:
        """Synapse, accounts, the bot with the example settings, two rooms, a warm-up."""
        await asyncio.to_thread(self.hs.start)
        tag = secrets.token_hex(2)
        names = ["natm-bot", "organiser", "reader"] + [f"joiner{n}" for n in range(self.o.joiners)]
        secrets_ = {name: secrets.token_urlsafe(12) for name in names}
        ids = {
            name: await self.hs.aregister_user(f"{name}-{tag}", secrets_[name]) for name in names
        }
        self.bot = self.configure_bot(ids["natm-bot"], ids["organiser"])
        await asyncio.to_thread(self.bot.login, secrets_["natm-bot"])
        await self.start_bot()
        for name in names[1:]:
            store = self.folder / "people" / name
            person = Participant(
                self.hs, ids[name], secrets_[name], store, self.seen, ids["natm-bot"]
            )
            await person.start()
            self.people.append(person)
        self.organiser, self.reader, *self.joiners = self.people
        await self.make_rooms()
        await self.warm_up()

    def configure_bot(self, bot_id: str, organiser: str) -> BotProcess:
        """bot.example.yaml as it is, but for the homeserver, the accounts and the timers."""
        bot = BotProcess(self.folder / "bot", self.hs, bot_id)
        settings: dict[str, Any] = yaml.safe_load(
            (ROOT / "bot.example.yaml").read_text(encoding="utf-8")
        )
        settings["bot"]["admins"] = [organiser]
        matrix = settings["matrix"]
        matrix["homeserver"] = self.hs.url
        matrix["user_id"] = bot_id
        matrix["invites"] = {"allowed_users": [organiser], "allowed_servers": []}
        if self.o.housekeeping is not None:
            settings["housekeeping"] = {
                "interval": self.o.housekeeping,
                "safety_sweep": min(self.o.housekeeping, 3600),
            }
        bot.config.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
        self.db_path = bot.folder / settings["paths"]["database"]
        return bot

    async def start_bot(self) -> None:
        """Spawn `natm-bot run` and wait until it has synced."""
        assert self.bot is not None
        await self.bot.start()
        assert self.bot.process is not None
        self.lives.append(Life(self.bot.process.pid, up=time.time()))

    async def make_rooms(self) -> None:
        """A plain and an encrypted room, the organiser's, everyone (and the bot) in both."""
        assert self.bot is not None
        others = [p.mxid for p in self.people[1:]]
        for encrypted in (False, True):
            room = await self.organiser.create_room(
                [self.bot.user_id, *others],
                encrypted=encrypted,
                name="soak, encrypted" if encrypted else "soak, plain",
            )
            for person in self.people[1:]:
                await person.client.join(room)
            for mxid in [self.bot.user_id, *others]:
                await self.organiser.wait_joined(room, mxid)
            self.rooms.append(room)

    async def warm_up(self) -> None:
        """Everyone is answered once in each room (keys shared) before anything is counted."""
        for person in self.people:
            for room in self.rooms:
                for _ in range(3):
                    event_id = await self.say(person, room, PROBE)
                    if event_id and await self.answered(person, event_id, 20):
                        break
                else:
                    self.note(f"warm-up: {person.mxid} got no answer in {room}")

    # ----- typing -----------------------------------------------------------------------------

    async def say(self, person: Participant, room: str, body: str) -> str | None:
        """Send; the event id, or None (noted) when the homeserver refused it."""
        try:
            event_id = await person.say(room, body)
        except (AssertionError, OSError, TimeoutError) as exc:
            self.note(f"{person.mxid} could not send {body!r}: {exc}")
            return None
        self.typed.add(event_id)
        return event_id

    async def answered(self, person: Participant, event_id: str, timeout: float) -> bool:
        """Whether a reply to `event_id` reached the person within `timeout` seconds."""
        try:
            await person.wait_for(lambda: event_id in person.arrivals, "a reply", timeout)
        except AssertionError:
            return False
        return True

    async def command(self, person: Participant, room: str, body: str) -> Command | None:
        """Type a counted command and wait (at most --patience) for its reply."""
        sent_at, sent_perf = time.time(), time.perf_counter()
        event_id = await self.say(person, room, body)
        if event_id is None:
            return None
        sent = Command(person, room, body, event_id, sent_at, sent_perf)
        self.commands.append(sent)
        await self.answered(person, event_id, self.o.patience_s)
        return sent

    async def reader_loop(self) -> None:
        """One command every 3-5 s from the mix, alternating rooms, each reply awaited."""
        mix = list(MIX)
        number = 0
        while time.time() < self.end:
            if number % len(mix) == 0:
                self.rng.shuffle(mix)
            started = time.time()
            await self.command(self.reader, self.rooms[number % 2], mix[number % len(mix)])
            number += 1
            await sleep_until(min(self.end, started + self.rng.uniform(3, 5)))

    async def joiner_loop(self, person: Participant, groups: list[str]) -> None:
        """`!join` a group, later `!leave` it, one command every 8-15 s."""
        rng = random.Random(f"{self.o.seed}-{person.mxid}")
        await asyncio.sleep(rng.uniform(0, 5))
        turn = 0
        group = rng.choice(groups)
        while time.time() < self.end:
            if turn % 2 == 0:
                group = rng.choice(groups)
            verb = "!join" if turn % 2 == 0 else "!leave"
            started = time.time()
            await self.command(person, self.rooms[(turn // 2) % 2], f"{verb} {group}")
            turn += 1
            await sleep_until(min(self.end, started + rng.uniform(8, 15)))

    def plan(self) -> None:
        """Due times every --announce-every from a minute in, and one during the restart."""
        # Whole seconds: `when=` has no fractions.
        due = float(math.ceil(self.t0 + FIRST_DUE_S))
        number = 1
        while due <= self.end - 15:
            self.planned.append(Planned(number, due, self.rooms[number % 2]))
            due = float(math.ceil(due + self.o.announce_every_s))
            number += 1
        if self.o.downtime_s > 0:
            restart = float(math.ceil(self.restart_time() + self.o.downtime_s / 2))
            if restart <= self.end - 15:
                self.planned.append(Planned(number, restart, self.rooms[1], while_down=True))
        self.planned.sort(key=lambda p: p.due)

    async def organiser_loop(self) -> None:
        """Plans each meeting about PLAN_AHEAD_S before it is due, with `!meeting add`."""
        for planned in self.planned:
            await sleep_until(planned.due - PLAN_AHEAD_S)
            if time.time() >= self.end:
                return
            when = datetime.fromtimestamp(planned.due, UTC)
            title = TITLE.format(number=planned.number)
            body = (
                f'!meeting add title="{title}" when="{when:%Y-%m-%d %H:%M:%S}" tz=UTC reminders=0'
            )
            sent = await self.command(self.organiser, planned.room, body)
            planned.command = sent.event_id if sent else None

    # ----- the restart and the samples --------------------------------------------------------

    def restart_time(self) -> float:
        """When the bot gets SIGTERM."""
        return self.t0 + (self.end - self.t0) * self.o.restart_at

    async def restart(self) -> None:
        """SIGTERM at --restart-at, start again --downtime seconds after it has exited."""
        assert self.bot is not None and self.bot.process is not None
        if self.o.downtime_s <= 0:
            return
        await sleep_until(self.restart_time())
        self._restarting = True
        stopped = time.time()
        self.downs.append((stopped, None))
        life = self.lives[-1]
        try:
            life.exit_code = await self.bot.stop()
        except TimeoutError:
            self.note("the bot did not exit within 30 s of SIGTERM: killed")
            self.bot.kill()
        life.ended = time.time()
        self.say_now(
            f"restart: SIGTERM at {self.clock(stopped)}, exit {life.exit_code} after "
            f"{life.ended - stopped:.1f} s; starting again in {self.o.downtime_s:g} s"
        )
        await asyncio.sleep(self.o.downtime_s)
        try:
            await self.start_bot()
        except AssertionError as exc:
            self.note(f"the bot did not come back after the restart: {str(exc)[:300]}")
            return
        finally:
            self._restarting = False
        self.downs[-1] = (stopped, self.lives[-1].up)
        self.say_now(
            f"restart: synced again at {self.clock(self.lives[-1].up)} "
            f"({self.lives[-1].up - stopped:.1f} s after SIGTERM), pid {self.lives[-1].pid}"
        )

    def sample(self) -> None:
        """RSS, descriptors and file sizes of the bot now (nothing while it is down)."""
        bot = self.bot
        if bot is None or bot.process is None:
            return
        if bot.process.poll() is not None:
            life = self.lives[-1]
            if not self._restarting and life.ended is None:
                life.ended, life.exit_code = time.time(), bot.process.returncode
                self.note(
                    f"the bot exited by itself at {self.clock(life.ended)}: {life.exit_code}"
                )
            return
        pid = bot.process.pid
        wal = self.db_path.with_name(self.db_path.name + "-wal")
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            rss, fds, cpu = rss_mb(pid), open_fds(pid), cpu_seconds(pid)
            db, wal_size = file_size(self.db_path), file_size(wal)
            load = os.getloadavg()[0]
            self.samples.append(Sample(time.time(), pid, rss, fds, db, wal_size, cpu, load))

    async def sampler(self, until: Callable[[], bool]) -> None:
        """Sample every SAMPLE_EVERY_S seconds; print each window once its grace is over."""
        while not until():
            self.sample()
            self.print_ready_windows()
            await asyncio.sleep(SAMPLE_EVERY_S)

    # ----- the whole run ----------------------------------------------------------------------

    async def load(self) -> None:
        """The people's load for --minutes, with the restart, sampled throughout."""
        self.t0 = time.time()
        self.end = self.t0 + self.o.minutes * 60
        self.plan()
        groups = group_ids()
        print(
            f"load from {self.clock(self.t0)} for {self.o.minutes:g} min; "
            f"{len(self.planned)} announcements planned; restart at "
            f"{self.clock(self.restart_time())}",
            flush=True,
        )
        done = False
        sampling = asyncio.create_task(self.sampler(lambda: done))
        try:
            await asyncio.gather(
                self.reader_loop(),
                self.organiser_loop(),
                self.restart(),
                *(self.joiner_loop(person, groups) for person in self.joiners),
            )
            await self.drain()
        finally:
            done = True
            await sampling

    async def drain(self) -> None:
        """Up to --grace for late replies and announcements, then one last command per room
        (each room is answered in order: a late second reply would be in before it)."""
        deadline = time.time() + self.o.grace_s
        # The reader is in every room: its client wakes this at each sync (once a second).
        with contextlib.suppress(AssertionError):
            await self.reader.wait_for(
                lambda: not (self.unanswered() or self.unseen()),
                "the last replies",
                self.o.grace_s,
            )
        self.sample()
        for room in self.rooms:
            event_id = await self.say(self.reader, room, PROBE)
            remaining = max(10.0, deadline - time.time())
            if event_id is None or not await self.answered(self.reader, event_id, remaining):
                self.note(f"the last command in {room} was not answered")
        await asyncio.sleep(2)

    async def stop_bot(self) -> None:
        """SIGTERM as systemd would; the exit code is noted."""
        bot = self.bot
        if bot is None or bot.process is None or bot.process.poll() is not None:
            return
        stopped = time.time()
        try:
            self.lives[-1].exit_code = await bot.stop()
        except TimeoutError:
            self.note("the bot did not exit within 30 s of SIGTERM at the end: killed")
        self.lives[-1].ended = time.time()
        self.say_now(
            f"end: SIGTERM, exit {self.lives[-1].exit_code} after "
            f"{self.lives[-1].ended - stopped:.1f} s"
        )

    async def close(self) -> None:
        """Everything stops, whatever happened (also on Ctrl-C); a second call does nothing."""
        if self.bot is not None:
            self.bot.kill()
        people, self.people = self.people, []
        for person in people:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(person.stop(), 10)
        await asyncio.to_thread(self.hs.stop)

    # ----- counting ---------------------------------------------------------------------------

    def unanswered(self) -> int:
        """Commands without a reply yet."""
        return sum(1 for c in self.commands if not self.seen.count(c.event_id))

    def unseen(self) -> int:
        """Confirmed announcements due by now that nobody has seen."""
        now = time.time()
        return sum(
            1
            for p in self.planned
            if p.due <= now and self.confirmed(p) and not self.seen.announcements.get(p.number)
        )

    def confirmed(self, planned: Planned) -> bool:
        """Whether the bot answered the organiser's `!meeting add` with "Planned …"."""
        if planned.command is None:
            return False
        replies = self.seen.replies.get(planned.command, {})
        return any(body.startswith("Planned") for body in replies.values())

    def restart_met(self, command: Command) -> tuple[float, float | None] | None:
        """The restart (SIGTERM, synced again) a command met: typed while the bot was down,
        or in the --grace seconds before and not yet answered when it went down."""
        arrival = command.who.arrivals.get(command.event_id)
        for down, up in self.downs:
            typed = down - self.o.grace_s <= command.sent_at <= (up or math.inf)
            if typed and (arrival is None or arrival[1] >= down):
                return down, up
        return None

    def closes(self, index: int) -> float:
        """When window `index` ends."""
        return min(self.end, self.t0 + (index + 1) * self.o.window_s)

    def deadline(self, at: float, restart: tuple[float, float | None] | None) -> float:
        """Until when something typed (or due) at `at` may be answered (or announced): the
        end of its window plus --grace; if it met the restart, until --grace after the bot
        was back, if that is later."""
        index = self.window_of(at)
        limit = (self.closes(index) if index is not None else at) + self.o.grace_s
        if restart is not None and restart[1] is not None:
            limit = max(limit, restart[1] + self.o.grace_s)
        return limit

    def command_outcome(self, command: Command) -> str:
        """once (one reply, in time), missing (none in time) or doubled (more than one)."""
        count = self.seen.count(command.event_id)
        if count > 1:
            return "doubled"
        arrival = command.who.arrivals.get(command.event_id)
        limit = self.deadline(command.sent_at, self.restart_met(command))
        return "once" if count and arrival is not None and arrival[1] <= limit else "missing"

    def announcement_outcome(self, planned: Planned) -> str:
        """once (one announcement, in time), missing (none in time) or doubled."""
        stamps = self.seen.announcements.get(planned.number, {})
        if len(stamps) > 1:
            return "doubled"
        down = next(((d, u) for d, u in self.downs if d <= planned.due <= (u or math.inf)), None)
        limit = self.deadline(planned.due, down)
        return "once" if stamps and min(stamps.values()) <= limit else "missing"

    def met_restart(self, command: Command) -> bool:
        """Whether the command's answer had to wait for the restart."""
        return self.restart_met(command) is not None

    def windows(self) -> int:
        """How many windows the run has (the last may be shorter)."""
        return max(1, math.ceil((self.end - self.t0) / self.o.window_s - 1e-9))

    def window_of(self, at: float) -> int | None:
        """The window `at` falls in, if it is within the run."""
        if not self.t0 <= at < self.end:
            return None
        return min(int((at - self.t0) // self.o.window_s), self.windows() - 1)

    def round_trips(self, commands: list[Command]) -> list[tuple[float, Command]]:
        """Seconds from send to reply in the sender's client, for the commands answered in
        time (not counted as missing) that did not have to wait for the restart."""
        return [
            (c.who.arrivals[c.event_id][0] - c.sent_perf, c)
            for c in commands
            if self.command_outcome(c) != "missing" and not self.met_restart(c)
        ]

    def window(self, index: int, errors: Counter[int]) -> dict[str, Any]:
        """Every figure of one window."""
        commands = [c for c in self.commands if self.window_of(c.sent_at) == index]
        counts = Counter(self.command_outcome(c) for c in commands)
        due = [p for p in self.planned if self.window_of(p.due) == index and self.confirmed(p)]
        shown = Counter(self.announcement_outcome(p) for p in due)
        trips = percentiles([t * 1000 for t, _ in self.round_trips(commands)])
        samples = [s for s in self.samples if self.window_of(s.at) == index]
        last = samples[-1] if samples else None
        start = self.t0 + index * self.o.window_s
        return {
            "span": f"{minutes(index * self.o.window_s)}-"
            f"{minutes(min(self.end - self.t0, (index + 1) * self.o.window_s))}",
            "restart": any(
                d < self.closes(index) and (u or math.inf) > start for d, u in self.downs
            ),
            "sent": len(commands),
            **{k: counts[k] for k in ("once", "missing", "doubled")},
            "due": len(due),
            **{f"a_{k}": shown[k] for k in ("once", "missing", "doubled")},
            "p50": trips["p50"],
            "p99": trips["p99"],
            "rss": last.rss_mb if last else math.nan,
            "fds": last.fds if last else 0,
            "db": last.db if last else 0,
            "wal": max((s.wal for s in samples), default=0),
            "cpu": sum(
                b.cpu_s - a.cpu_s
                for a, b in itertools.pairwise(self.samples)
                if a.pid == b.pid and self.window_of(b.at) == index
            ),
            "load": max((s.load for s in samples), default=math.nan),
            "errors": errors[index],
        }

    def error_lines(self) -> tuple[Counter[int], list[str]]:
        """ERROR (and CRITICAL) lines of the bot's log: per window, and all of them."""
        per_window: Counter[int] = Counter()
        lines: list[str] = []
        text = self.bot.log_text() if self.bot is not None else ""
        for line in text.splitlines():
            match = LOG_LINE.match(line)
            if match is None or match.group(2) not in ("ERROR", "CRITICAL"):
                continue
            lines.append(line)
            at = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").astimezone().timestamp()
            index = self.window_of(at)
            if index is not None:
                per_window[index] += 1
        return per_window, lines

    # ----- printing ---------------------------------------------------------------------------

    def print_ready_windows(self) -> None:
        """A line for each window whose grace is over (the final table is printed anyway)."""
        errors, _ = self.error_lines()
        while self._printed < self.windows():
            closes = self.closes(self._printed)
            limits = [
                self.deadline(c.sent_at, self.restart_met(c))
                for c in self.commands
                if self.window_of(c.sent_at) == self._printed
            ]
            ready = max([closes + self.o.grace_s, *limits])
            if time.time() < ready or closes >= self.end:
                return
            self.say_now(live_line(self.window(self._printed, errors)))
            self._printed += 1

    def say_now(self, text: str) -> None:
        """Print a line with the minutes since the start."""
        since = f"{(time.time() - self.t0) / 60:5.1f} min" if self.t0 else "  setup  "
        print(f"[{since}] {text}", flush=True)

    def note(self, text: str) -> None:
        """Something the report should mention."""
        self.notes.append(text)
        self.say_now(text)

    def clock(self, at: float) -> str:
        """A wall-clock time in UTC, for the notes."""
        return f"{datetime.fromtimestamp(at, UTC):%H:%M:%S} UTC"


# ----------------------------------------------------------------------------------------------
# The report.


def minutes(seconds: float) -> str:
    """Minutes for a heading: whole or with one decimal."""
    value = seconds / 60
    return f"{value:g}" if abs(value - round(value, 1)) < 1e-6 else f"{value:.1f}"


def number(value: float) -> str:
    """One decimal, or a dash when there was no sample (the bot was down)."""
    return "–" if math.isnan(value) else f"{value:.1f}"


def ms(value: float) -> str:
    """Milliseconds, or a dash when there were none."""
    return "–" if math.isnan(value) else f"{value:,.0f}"


def live_line(w: dict[str, Any]) -> str:
    """One window in a line."""
    return (
        f"window {w['span']} min{' (restart)' if w['restart'] else ''}: commands {w['sent']} "
        f"sent, {w['once']} once, {w['missing']} missing, {w['doubled']} doubled · "
        f"announcements {w['due']} due, {w['a_once']} sent, {w['a_missing']} missed, "
        f"{w['a_doubled']} doubled · round trip p50 {ms(w['p50'])} ms, p99 {ms(w['p99'])} ms · "
        f"RSS {number(w['rss'])} MB · {w['fds'] or '–'} fds · DB {w['db'] / 1024:,.0f} KB · "
        f"WAL max {w['wal'] / 1024:,.0f} KB · bot CPU {w['cpu']:.1f} s · machine load "
        f"{number(w['load'])} · {w['errors']} ERROR lines"
    )


HEADER = (
    "minutes", "sent", "once", "missing", "doubled", "ann. due", "sent", "missed", "doubled",
    "p50 ms", "p99 ms", "RSS MB", "fds", "DB KB", "WAL max KB", "bot CPU s", "load",
    "ERROR lines",
)  # fmt: skip


def row(w: dict[str, Any]) -> list[object]:
    """One window as a table row."""
    return [
        w["span"] + (" (restart)" if w["restart"] else ""),
        w["sent"], w["once"], w["missing"], w["doubled"],
        w["due"], w["a_once"], w["a_missing"], w["a_doubled"],
        ms(w["p50"]), ms(w["p99"]),
        number(w["rss"]),
        w["fds"] or "–", f"{w['db'] / 1024:,.0f}", f"{w['wal'] / 1024:,.0f}",
        f"{w['cpu']:.1f}", number(w["load"]), w["errors"],
    ]  # fmt: skip


@dataclass
class Verdict:
    """Each target: what was measured and whether it was met."""

    checks: list[tuple[str, str, bool]] = field(default_factory=list)

    def add(self, target: str, measured: str, met: bool) -> None:
        """One target."""
        self.checks.append((target, measured, met))

    @property
    def passed(self) -> bool:
        """Every target met."""
        return all(met for _, _, met in self.checks)


def rss_growth(soak: Soak) -> Iterator[tuple[Life, Sample | None, Sample | None]]:
    """Per bot process: its sample a window after it synced (or the run began), its last."""
    for life in soak.lives:
        mine = [s for s in soak.samples if s.pid == life.pid and soak.t0 <= s.at <= soak.end]
        settled = max(soak.t0, life.up) + soak.o.window_s
        baseline = next((s for s in mine if s.at >= settled), None)
        yield life, baseline, mine[-1] if mine and baseline is not None else None


def judge(soak: Soak, windows: list[dict[str, Any]]) -> tuple[Verdict, list[str]]:
    """The targets, and the lines of the summary."""
    verdict = Verdict()
    total = {k: sum(w[k] for w in windows) for k in ("sent", "once", "missing", "doubled")}
    ann = {k: sum(w[k] for w in windows) for k in ("due", "a_once", "a_missing", "a_doubled")}
    verdict.add(
        "commands: 0 missing, 0 doubled",
        f"{total['sent']} sent, {total['once']} once, {total['missing']} missing, "
        f"{total['doubled']} doubled",
        total["missing"] == 0 and total["doubled"] == 0 and total["sent"] > 0,
    )
    verdict.add(
        "announcements: 0 missed, 0 doubled",
        f"{ann['due']} due, {ann['a_once']} sent once, {ann['a_missing']} missed, "
        f"{ann['a_doubled']} doubled",
        ann["a_missing"] == 0 and ann["a_doubled"] == 0 and ann["due"] > 0,
    )
    growths: list[tuple[str, float | None]] = []
    for life, baseline, last in rss_growth(soak):
        if baseline is None or last is None:
            growths.append((f"pid {life.pid}: too short to judge", None))
            continue
        grown = last.rss_mb - baseline.rss_mb
        growths.append(
            (
                f"pid {life.pid}: {baseline.rss_mb:.1f} → {last.rss_mb:.1f} MB ({grown:+.1f}) "
                f"from {(baseline.at - soak.t0) / 60:.1f} to {(last.at - soak.t0) / 60:.1f} min",
                grown,
            )
        )
    judged = [g for _, g in growths if g is not None]
    verdict.add(
        f"RSS growth after the first window < {RSS_GROWTH_MB:g} MB (per process)",
        "; ".join(text for text, _ in growths),
        bool(judged) and all(g < RSS_GROWTH_MB for g in judged),
    )
    first, last_p99 = windows[0]["p99"], windows[-1]["p99"]
    ratio = last_p99 / first if first and not math.isnan(first) else math.nan
    verdict.add(
        f"last window's p99 within {P99_RATIO:g}× of the first's",
        f"{ms(first)} → {ms(last_p99)} ms ({'–' if math.isnan(ratio) else f'{ratio:.2f}×'}; "
        f"machine load {number(windows[0]['load'])} → {number(windows[-1]['load'])})",
        not math.isnan(ratio) and ratio <= P99_RATIO,
    )
    wal_max = max((s.wal for s in soak.samples), default=0) / 1024 / 1024
    verdict.add(
        f"WAL bounded (never above {soak.o.wal_limit_mb:g} MB)",
        f"max {wal_max:.2f} MB",
        wal_max <= soak.o.wal_limit_mb,
    )
    return verdict, summary_lines(soak, windows)


def summary_lines(soak: Soak, windows: list[dict[str, Any]]) -> list[str]:
    """What else a reader of the figures should know."""
    return [
        *command_lines(soak),
        *announcement_lines(soak),
        f"WAL shrank (a checkpoint emptied it) {wal_drops(soak)} times between samples "
        f"{SAMPLE_EVERY_S:g} s apart",
        f"open fds first → last window: {windows[0]['fds'] or '–'} → "
        f"{windows[-1]['fds'] or '–'}; database {windows[0]['db'] / 1024:,.0f} → "
        f"{windows[-1]['db'] / 1024:,.0f} KB",
        *(
            f"bot process {n + 1}: pid {life.pid}, exit code {life.exit_code}"
            for n, life in enumerate(soak.lives)
        ),
    ]


def wal_drops(soak: Soak) -> int:
    """How often the WAL was smaller than at the sample before, within one process."""
    pairs = itertools.pairwise(soak.samples)
    return sum(1 for a, b in pairs if a.pid == b.pid and b.wal < a.wal)


def command_lines(soak: Soak) -> list[str]:
    """The restart, late answers, the slowest round trips, odd replies."""
    restart = [c for c in soak.commands if soak.met_restart(c)]
    counts = Counter(soak.command_outcome(c) for c in restart)
    waits = [
        c.who.arrivals[c.event_id][1] - c.sent_at for c in restart if c.event_id in c.who.arrivals
    ]
    late = [
        c.who.arrivals[c.event_id][1] - c.sent_at
        for c in soak.commands
        if soak.command_outcome(c) == "missing" and c.event_id in c.who.arrivals
    ]
    trips = soak.round_trips(soak.commands)
    slowest = sorted(trips, key=lambda item: item[0], reverse=True)[:3]
    everything = percentiles([t * 1000 for t, _ in trips])
    replies = [b for r in soak.seen.replies.values() for b in r.values()]
    unrelated = sum(len(r) for e, r in soak.seen.replies.items() if e not in soak.typed)
    return [
        f"commands that met the restart (typed while it was down or not yet answered): "
        f"{len(restart)}, {counts['once']} answered once, {counts['missing']} missing, "
        f"{counts['doubled']} doubled" + (f", slowest answer {max(waits):.1f} s" if waits else ""),
        f"answered only after the grace period (counted as missing): {len(late)}"
        + (f", the latest {max(late):.0f} s after it was typed" if late else ""),
        f"round trip over the whole run: p50 {ms(everything['p50'])} ms, p95 "
        f"{ms(everything['p95'])} ms, p99 {ms(everything['p99'])} ms, max "
        f"{ms(everything['max'])} ms; slowest: "
        + ", ".join(f"{slow(c, t, soak.t0)}" for t, c in slowest),
        f"replies 'something went wrong': {sum('something went wrong' in b for b in replies)}; "
        f"'slow down': {sum('slow down' in b for b in replies)}; replies to anything else: "
        f"{unrelated}",
    ]


def slow(command: Command, seconds: float, t0: float) -> str:
    """A slow round trip: what was typed (a plan shortened), how long, when."""
    what = command.body.split(" title=")[0]
    return f"{what} {seconds * 1000:,.0f} ms at {(command.sent_at - t0) / 60:.1f} min"


def announcement_lines(soak: Soak) -> list[str]:
    """Delays, late marks, plans the bot did not confirm, undecryptable messages."""
    delays = [
        min(stamps.values()) - p.due
        for p in soak.planned
        if soak.confirmed(p) and (stamps := soak.seen.announcements.get(p.number))
    ]
    down = [p for p in soak.planned if p.while_down and p.due < soak.end and soak.confirmed(p)]
    down_delay = [
        f"{min(stamps.values()) - p.due:.1f} s"
        for p in down
        if (stamps := soak.seen.announcements.get(p.number))
    ]
    unconfirmed = [p.number for p in soak.planned if p.due <= soak.end and not soak.confirmed(p)]
    undecrypted = soak.seen.undecrypted - soak.seen.decrypted
    return [
        f"announcements: delay after due (homeserver's time) p50 "
        f"{percentiles(delays)['p50']:.1f} s, max {max(delays, default=math.nan):.1f} s; the one "
        f"due while the bot was down: {', '.join(down_delay) or 'not sent'}; marked late: "
        f"{len(soak.seen.late)}; plans the bot did not confirm: {len(unconfirmed)}; messages of "
        f"the bot nobody could decrypt: {len(undecrypted)}",
    ]


def report(soak: Soak) -> bool:
    """Print the final table, the summary, the verdict; whether every target was met."""
    errors, error_lines = soak.error_lines()
    windows = [soak.window(i, errors) for i in range(soak.windows())]
    verdict, lines = judge(soak, windows)
    length = minutes(soak.end - soak.t0)
    print(f"\nsoak: {length} min, windows of {minutes(soak.o.window_s)} min (final)\n")
    print(table(HEADER, [row(w) for w in windows]))
    print()
    for line in lines:
        print(line)
    print(f"ERROR lines in the bot's log: {len(error_lines)}")
    for text, count in Counter(LOG_LINE.sub(r"\2 \3", ln) for ln in error_lines).most_common(5):
        print(f"    {count} × {text[:200]}")
    for note in soak.notes:
        print(f"note: {note}")
    print()
    print(
        table(
            ["target", "measured", "met"],
            [[t, m, "yes" if ok else "**no**"] for t, m, ok in verdict.checks],
        )
    )
    w = {k: sum(x[k] for x in windows) for k in ("sent", "once", "missing", "doubled")}
    a = {k: sum(x[k] for x in windows) for k in ("due", "a_once", "a_missing", "a_doubled")}
    print(
        f"\nsummary: {length} min, {len(soak.lives) - 1} restart(s); commands "
        f"{w['sent']} sent / {w['once']} once / {w['missing']} missing / {w['doubled']} doubled;"
        f" announcements {a['due']} due / {a['a_once']} sent / {a['a_missing']} missed / "
        f"{a['a_doubled']} doubled; p99 {ms(windows[0]['p99'])} → {ms(windows[-1]['p99'])} ms; "
        f"WAL max {max((s.wal for s in soak.samples), default=0) / 1024:,.0f} KB; "
        f"{len(error_lines)} ERROR lines"
    )
    if soak.interrupted:
        print("verdict: none (interrupted; the targets are for a whole run)")
        return False
    print(f"verdict: {'PASS' if verdict.passed else 'FAIL'}")
    return verdict.passed


# ----------------------------------------------------------------------------------------------


async def sleep_until(at: float) -> None:
    """Sleep until the wall-clock time `at` (at once if it has passed)."""
    await asyncio.sleep(max(0.0, at - time.time()))


def group_ids() -> list[str]:
    """The working groups people join and leave: those of data/groups.yaml."""
    data = yaml.safe_load((ROOT / "data" / "groups.yaml").read_text(encoding="utf-8"))
    return [str(group["id"]) for group in data["groups"]]


async def soak(options: Options, folder: Path) -> bool:
    """Set up, load, drain, stop; the report; bounded even if the bot hangs."""
    run = Soak(options, folder)
    budget = options.minutes * 60 + options.grace_s + 600  # set-up and stopping included
    try:
        async with asyncio.timeout(budget):
            await run.setup()
            assert run.bot is not None and run.bot.process is not None
            print(f"bot pid {run.bot.process.pid}, database {run.db_path}", flush=True)
            await run.load()
            await run.stop_bot()
    except TimeoutError:
        run.note(f"the soak did not finish within {budget / 60:.0f} min: stopped")
    except asyncio.CancelledError:  # Ctrl-C: report what there is, then stop as asked
        if not run.t0:
            raise
        run.end = min(run.end, time.time())
        run.interrupted = True
        run.note("interrupted: the figures cover the run until then")
        await run.close()
        report(run)
        raise
    finally:
        await run.close()
    if not run.t0:
        raise SystemExit("the soak did not get past setting up")
    return report(run)


def options() -> Options:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60, help="length of the run")
    parser.add_argument("--window", type=float, default=5, help="minutes per reported window")
    parser.add_argument(
        "--housekeeping", type=int, help="seconds between housekeeping runs and safety sweeps"
    )
    parser.add_argument("--announce-every", type=float, default=2, help="minutes")
    parser.add_argument("--downtime", type=float, default=20, help="s down (0: no restart)")
    parser.add_argument("--restart-at", type=float, default=0.5, help="fraction of the run")
    parser.add_argument("--grace", type=float, default=30, help="s allowed for late replies")
    parser.add_argument("--patience", type=float, default=10, help="s a person waits a reply")
    parser.add_argument("--joiners", type=int, default=2, help="people joining and leaving")
    parser.add_argument("--wal-limit-mb", type=float, default=5, help="largest WAL allowed")
    parser.add_argument("--seed", type=int, default=1, help="seed of the command mix")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder")
    args = parser.parse_args()
    return Options(
        minutes=args.minutes,
        window_s=args.window * 60,
        housekeeping=args.housekeeping,
        announce_every_s=args.announce_every * 60,
        downtime_s=args.downtime,
        restart_at=args.restart_at,
        grace_s=args.grace,
        patience_s=args.patience,
        joiners=args.joiners,
        wal_limit_mb=args.wal_limit_mb,
        seed=args.seed,
        keep=args.keep,
    )


def main() -> None:
    """Parse the options, run the soak, exit 1 unless every target was met."""
    chosen = options()
    logging.basicConfig(level=logging.ERROR)  # the people's nio clients are talkative
    print(f"soak: {machine()}", flush=True)
    print(" ".join(sys.argv), flush=True)
    folder = Path(tempfile.mkdtemp(prefix="natm-soak-"))
    passed = False
    try:
        passed = asyncio.run(soak(chosen, folder))
    except KeyboardInterrupt:
        print("interrupted: the bot and Synapse were stopped", flush=True)
        sys.exit(130)
    finally:
        if chosen.keep:
            print(f"the run's files (the bot's log: bot/bot.log) are in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
