"""How `natm-bot run` copes with a big coalition: many rooms, sign-ups, meetings, members.

Builds the bot's database through the real services (100,000 sign-ups over 20 working
groups, 10,000 meetings, 10,000 member organisations), starts a throwaway local Synapse,
and joins the bot to more and more rooms (100, 300, 1,000 by default). At each size it
restarts the real bot process and measures:

* start → first answer: a person types `!principles` right after `natm-bot run` is spawned;
  the time until the reply reaches the person (plus when the log said "connected to", i.e.
  the first sync was done, and when the process went quiet: the scheduler loaded);
* the bot's RSS once it has settled, and its peak RSS while starting;
* round trips of `!principles`, `!groups` and `!meetings` as the person sees them (p50/p95),
  next to the floor: a bare matrix-nio client in the same room that echoes a message.

    .venv/bin/python bench/scale.py [--rooms 100,300,1000] [--runs 30] [--starts 3]
        [--signups 100000] [--meetings 10000] [--orgs 10000] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Sampler, cpu_seconds, machine, percentiles, rss_mb, table
from bench.members_search import ADJECTIVES, COMMON, NOUNS, PLACES, organisations
from natm_bot.app import App
from natm_bot.config.settings import load_config
from natm_bot.core.errors import UsageError
from natm_bot.storage.groups import Group
from natm_bot.testing.devserver import LocalSynapse
from natm_bot.transport.memory import MemoryTransport
from tests.integration.people import BotProcess, Person

ECHO_ENV = "NATM_BENCH_ECHO"
START_TIMEOUT = 180.0
REPLY_TIMEOUT = 60.0
ZONES = (
    "Europe/Berlin",
    "America/Mexico_City",
    "Africa/Nairobi",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Asia/Manila",
    "Africa/Lagos",
    "America/Bogota",
    "Asia/Jakarta",
    "UTC",
)
REPEATS = (
    "",
    "",
    "",
    "weekly",
    "every 2 weeks",
    "monthly",
    "first tuesday",
    "last friday",
    "third wednesday",
    "daily",
)
SERVERS = ("example.org", "matrix.org", "riseup.net", "systemli.org", "tchncs.de")
MEGOLM = {"algorithm": "m.megolm.v1.aes-sha2"}


def _sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(COMMON) for _ in range(rng.randint(low, high))).capitalize()


# ----- the database -------------------------------------------------------------------------


@dataclass
class Built:
    """What went into the database and how long each part took (seconds)."""

    groups: int = 0
    signups: int = 0
    waiting: int = 0
    meetings: int = 0
    organisations: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


async def _groups(app: App, count: int, rng: random.Random) -> list[Group]:
    """The seeded groups plus generated ones; two of them with a capacity (so a waitlist)."""
    names = {g.name.casefold() for g in await app.groups.all()}
    while len(names) < count:
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        if name.casefold() not in names:
            names.add(name.casefold())
            await app.groups.create(name, _sentence(rng, 8, 20) + ".")
    groups = await app.groups.all()
    for group, capacity in zip(groups[-2:], (3000, 500), strict=False):
        await app.groups.update(replace(group, capacity=capacity))
    return await app.groups.all()


async def _signups(app: App, groups: list[Group], target: int, rng: random.Random) -> int:
    """`target` sign-ups through GroupService.join, people joining 1 to 4 groups; how many
    ended on a waitlist."""
    weights = [rng.uniform(0.3, 3.0) for _ in groups]
    made = waiting = person = 0
    while made < target:
        person += 1
        user = f"@{rng.choice(PLACES).casefold()}-{person}:{rng.choice(SERVERS)}"
        wanted = {id(g): g for g in rng.choices(groups, weights, k=rng.choice((1, 1, 2, 3, 4)))}
        for group in wanted.values():
            if made >= target:
                break
            outcome = await app.groups.join(group, user)
            made += 1
            waiting += outcome.status == "waiting"
    return waiting


def _meeting_text(rng: random.Random, index: int, groups: list[Group], now: datetime) -> str:
    """`!meeting add` fields for one generated meeting, 2 to 120 days ahead."""
    tz = rng.choice(ZONES)
    start = (now + timedelta(days=rng.uniform(2, 120))).astimezone(ZoneInfo(tz))
    when = start.replace(minute=rng.choice((0, 15, 30, 45)), second=0, microsecond=0)
    title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} call {index}"
    fields = [
        f'title="{title}"',
        f'when="{when:%Y-%m-%d %H:%M}"',
        f"tz={tz}",
        f"duration={rng.choice(('45m', '1h', '90m', '2h'))}",
    ]
    repeat = rng.choice(REPEATS)
    if repeat:
        fields.append(f'repeat="{repeat}"')
    if rng.random() < 0.7:
        fields.append(f"link=https://meet.example.org/{rng.choice(NOUNS).casefold()}-{index}")
    if rng.random() < 0.5:
        fields.append(f'description="{_sentence(rng, 10, 40)}."')
    if rng.random() < 0.3:
        fields.append(f"group={rng.choice(groups).id}")
    return " ".join(fields)


async def generated_meetings(
    app: App, count: int, groups: list[Group], rng: random.Random
) -> None:
    """`count` meetings through MeetingService.create, none due during the benchmark."""
    made = attempts = 0
    while made < count:
        attempts += 1
        text = _meeting_text(rng, made + 1, groups, app.clock.now())
        try:
            await app.meetings.create(
                text, asker="@organiser:localhost", room="!announcements:localhost"
            )
        except UsageError:  # a local time inside a daylight-saving gap: draw another
            if attempts > count * 2:
                raise
            continue
        made += 1


async def build_database(
    bot: BotProcess, signups: int, meetings: int, orgs: int, seed: int
) -> Built:
    """Fill the bot's own database (the file `natm-bot run` will open) through the services."""
    rng = random.Random(seed)
    built = Built()
    app = App(load_config(bot.config), MemoryTransport(bot.user_id))
    await app.start()
    try:
        started = time.perf_counter()
        groups = await _groups(app, 20, rng)
        built.groups = len(groups)
        built.waiting = await _signups(app, groups, signups, rng)
        built.signups = signups
        built.seconds["sign-ups (GroupService.join)"] = time.perf_counter() - started
        started = time.perf_counter()
        await generated_meetings(app, meetings, groups, rng)
        built.meetings = meetings
        built.seconds["meetings (MeetingService.create)"] = time.perf_counter() - started
        started = time.perf_counter()
        outcome = await app.members.import_rows(organisations(orgs, seed), "bench")
        built.organisations = outcome.added
        built.seconds["organisations (MemberService.import_rows)"] = time.perf_counter() - started
    finally:
        await app.close()
    return built


# ----- rooms --------------------------------------------------------------------------------


class RoomMaker:
    """A person who creates rooms over the client API; the bot (and a few other people) are
    joined to each through Synapse's admin API (`POST /_synapse/admin/v1/join/<room>`)."""

    def __init__(self, hs: LocalSynapse, bot: str, rng: random.Random, extra: int) -> None:
        self.hs = hs
        self.bot = bot
        self.rng = rng
        self.extra = extra
        self.token = ""
        self.others: list[str] = []
        self.created = 0

    async def prepare(self, pool: int = 50) -> None:
        """Register the room creator and a pool of people to fill rooms with."""
        await self.hs.aregister_user("organiser", "organiser-password")
        self.token = (await self.hs.alogin_token("organiser", "organiser-password"))[0]
        self.others = [
            await self.hs.aregister_user(f"member-{n}", f"member-password-{n}")
            for n in range(pool if self.extra else 0)
        ]

    async def add(self, count: int, encrypted_share: float, concurrency: int = 4) -> float:
        """Create `count` more rooms with the bot in them; the seconds it took."""
        gate = asyncio.Semaphore(concurrency)
        plan = [
            (self.created + n, self.rng.random() < encrypted_share, self._members())
            for n in range(count)
        ]
        started = time.perf_counter()

        async def one(number: int, encrypted: bool, members: list[str]) -> None:
            async with gate:
                await self._room(number, encrypted, members)

        await asyncio.gather(*(one(*item) for item in plan))
        self.created += count
        return time.perf_counter() - started

    def _members(self) -> list[str]:
        return [self.bot, *self.rng.sample(self.others, min(self.extra, len(self.others)))]

    async def _room(self, number: int, encrypted: bool, members: list[str]) -> None:
        body: dict[str, Any] = {
            "preset": "public_chat",
            "name": f"{self.rng.choice(ADJECTIVES)} {self.rng.choice(NOUNS)} {number}",
            "topic": _sentence(self.rng, 5, 15),
        }
        if encrypted:
            state = {"type": "m.room.encryption", "state_key": "", "content": MEGOLM}
            body["initial_state"] = [state]
        created = await self.hs.aadmin_request(
            "POST", "/_matrix/client/v3/createRoom", self.token, body
        )
        path = "/_synapse/admin/v1/join/" + urllib.parse.quote(created["room_id"])
        for user in members:
            await self.hs.aadmin_request("POST", path, self.hs.admin_token(), {"user_id": user})


# ----- the floor: a bare matrix-nio client that echoes ----------------------------------------


async def _echo_main() -> None:
    """Run as `scale.py --echo-floor`: answer `echo …` with a notice replying to it."""
    from nio import AsyncClient, InviteMemberEvent, MatrixRoom, RoomMessageText

    settings = json.loads(os.environ[ECHO_ENV])
    client = AsyncClient(settings["homeserver"], settings["user"])
    await client.login(settings["password"], device_name="echo floor")
    await client.sync(timeout=0, full_state=True)

    async def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == client.user_id and event.membership == "invite":
            await client.join(room.room_id)

    async def on_text(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != client.user_id and event.body.startswith("echo "):
            content = {
                "msgtype": "m.notice",
                "body": event.body,
                "m.mentions": {},
                "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
            }
            await client.room_send(room.room_id, "m.room.message", content)

    for room_id in list(client.invited_rooms):
        await client.join(room_id)
    client.add_event_callback(on_invite, InviteMemberEvent)
    client.add_event_callback(on_text, RoomMessageText)
    print("ready", flush=True)
    try:
        await client.sync_forever(timeout=30_000)
    finally:
        await client.close()


class EchoFloor:
    """The echo client as its own process, like the bot."""

    def __init__(self, hs: LocalSynapse, user: str, password: str) -> None:
        self.user = user
        self.settings = {"homeserver": hs.url, "user": user, "password": password}
        self.process: subprocess.Popen[str] | None = None

    def spawn(self) -> subprocess.Popen[str]:
        """Start the process, not waiting for it."""
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--echo-floor"],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, ECHO_ENV: json.dumps(self.settings)},
        )
        return self.process

    async def start(self) -> None:
        """Spawn it and wait until it has synced and joined the rooms it was invited to."""
        process = self.spawn()
        assert process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 60)
        if line.strip() != "ready":
            raise RuntimeError(f"the echo floor client did not start: {line!r}")

    def stop(self) -> None:
        """Terminate it (SIGTERM, then SIGKILL)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ----- measuring ----------------------------------------------------------------------------


@dataclass
class Start:
    """One start of the bot, in seconds from spawning `natm-bot run`."""

    first_answer: float
    second_answer: float  # round trip of `!groups`, typed the moment the first answer came
    connected: float
    settled: float
    cpu: float
    rss: float
    peak_rss: float


async def _log_time(bot: BotProcess, text: str, offset: int, started: float) -> float:
    while True:
        if text in bot.log_text()[offset:]:
            return time.perf_counter() - started
        await asyncio.sleep(0.01)  # polling the file the bot appends to


async def _settled(pid: int, started: float, timeout: float = 120) -> float:
    """When the process stopped using CPU (two quiet half-seconds in a row)."""
    deadline = time.perf_counter() + timeout
    quiet_since: float | None = None
    quiet = 0
    while time.perf_counter() < deadline:
        before, at = cpu_seconds(pid), time.perf_counter()
        await asyncio.sleep(0.5)
        if cpu_seconds(pid) - before < 0.02:
            quiet_since = at if quiet == 0 else quiet_since
            quiet += 1
            if quiet >= 2 and quiet_since is not None:
                return quiet_since - started
        else:
            quiet = 0
    return float("nan")


async def _answer(person: Person, room: str, event_id: str, sender: str, what: str) -> None:
    await person.wait_for(
        lambda: person.replies_to(room, event_id, sender), what, timeout=REPLY_TIMEOUT
    )


async def measure_start(bot: BotProcess, bob: Person, room: str) -> Start:
    """Spawn the bot, type `!principles` at once, wait for the answer and for quiet."""
    offset = len(bot.log_text())
    started = time.perf_counter()
    bot.spawn()
    assert bot.process is not None
    pid = bot.process.pid
    with Sampler(pid) as sampler:
        connected = asyncio.create_task(_log_time(bot, "connected to", offset, started))
        try:
            event_id = await bob.say(room, "!principles")
            await bob.wait_for(
                lambda: bob.replies_to(room, event_id, bot.user_id),
                "the first answer",
                timeout=START_TIMEOUT,
            )
            first = time.perf_counter() - started
            second = (await round_trips(bob, room, "!groups", bot.user_id, 1, warmup=0))[0]
            at_connect = await asyncio.wait_for(connected, 10)
        finally:
            connected.cancel()
        settled = await _settled(pid, started)
        rss, cpu = rss_mb(pid), cpu_seconds(pid)
    return Start(first, second, at_connect, settled, cpu, rss, sampler.peak_rss_mb)


async def round_trips(
    bob: Person, room: str, text: str, responder: str, runs: int, warmup: int = 2
) -> list[float]:
    """Seconds from sending `text` (with {i} filled in) to seeing the reply, `runs` times."""
    times: list[float] = []
    for i in range(warmup + runs):
        started = time.perf_counter()
        event_id = await bob.say(room, text.format(i=i))
        await _answer(bob, room, event_id, responder, f"a reply to {text!r}")
        if i >= warmup:
            times.append(time.perf_counter() - started)
    return times


@dataclass
class Level:
    """Everything measured with the bot in `rooms` rooms."""

    rooms: int
    create_seconds: float
    catch_up: Start
    starts: list[Start]
    latencies: dict[str, list[float]]
    rss_after_commands: float


COMMANDS = (
    ("floor: bare nio echo", "echo {i}"),
    ("`!principles`", "!principles"),
    ("`!groups`", "!groups"),
    ("`!meetings`", "!meetings"),
)


@dataclass
class Bench:
    """The homeserver, the people, the bot and the rooms of one run."""

    hs: LocalSynapse
    bot: BotProcess
    bob: Person
    echo: EchoFloor
    maker: RoomMaker
    room: str = ""
    joined: int = 1  # the command room

    async def level(self, rooms: int, args: argparse.Namespace) -> Level:
        """Grow to `rooms` rooms, then measure a catch-up start and `args.starts` restarts."""
        created = await self.maker.add(max(0, rooms - self.joined), args.encrypted)
        self.joined = max(self.joined, rooms)
        print(f"  {rooms} rooms: {created:.0f} s to create the new ones", flush=True)
        catch_up = await measure_start(self.bot, self.bob, self.room)
        await self.bot.stop()
        starts: list[Start] = []
        for n in range(args.starts):
            starts.append(await measure_start(self.bot, self.bob, self.room))
            if n < args.starts - 1:
                await self.bot.stop()
        print(f"  {rooms} rooms: first answer {[round(s.first_answer, 2) for s in starts]} s")
        latencies: dict[str, list[float]] = {}
        for kind, text in COMMANDS:
            responder = self.echo.user if text.startswith("echo") else self.bot.user_id
            latencies[kind] = await round_trips(self.bob, self.room, text, responder, args.runs)
        assert self.bot.process is not None
        after = rss_mb(self.bot.process.pid)
        await self.bot.stop()
        return Level(rooms, created, catch_up, starts, latencies, after)


# ----- the run ------------------------------------------------------------------------------


def _lift_rate_limit(bot: BotProcess) -> None:
    """One person types every measured command: lift the per-person limit, as the chat
    harness does (the defaults would answer the 11th command with "slow down")."""
    settings = yaml.safe_load(bot.config.read_text(encoding="utf-8"))
    settings["safety"] = {"rate_burst": 1000, "rate_per_minute": 6000}
    bot.config.write_text(yaml.safe_dump(settings), encoding="utf-8")


async def _first_run(bench: Bench) -> None:
    """The bot's very first start: it accepts the invite to the command room, learns its
    sync position, and answers once; later starts are restarts."""
    await bench.bot.start()
    bench.room = await bench.bob.create_room([bench.bot.user_id, bench.echo.user], name="bench")
    await bench.bob.wait_joined(bench.room, bench.bot.user_id)
    await bench.echo.start()
    await bench.bob.wait_joined(bench.room, bench.echo.user)
    await bench.bob.ask(bench.room, "!principles", bench.bot.user_id)
    await bench.bot.stop()


async def run(args: argparse.Namespace) -> tuple[Built, list[Level]]:
    """Build everything in a temporary folder, measure each level, clean up."""
    levels: list[Level] = []
    with tempfile.TemporaryDirectory(prefix="natm-scale-") as folder:
        base = Path(folder)
        hs = LocalSynapse(base / "synapse")
        hs.start()
        bot: BotProcess | None = None
        bob: Person | None = None
        echo: EchoFloor | None = None
        try:
            bot_id = await hs.aregister_user("natm-bot", "bot-password")
            bob_id = await hs.aregister_user("bob", "bob-password")
            echo_id = await hs.aregister_user("echo", "echo-password")
            bot = BotProcess(
                base / "bot", hs, bot_id, invites={"allowed_servers": [hs.server_name]}
            )
            _lift_rate_limit(bot)
            print("building the database…", flush=True)
            built = await build_database(bot, args.signups, args.meetings, args.orgs, args.seed)
            for what, seconds in built.seconds.items():
                print(f"  {what}: {seconds:.1f} s", flush=True)
            await asyncio.to_thread(bot.login, "bot-password")
            bob = await Person(hs, bob_id, "bob-password", base / "bob").start()
            echo = EchoFloor(hs, echo_id, "echo-password")
            maker = RoomMaker(hs, bot_id, random.Random(args.seed), args.extra_members)
            await maker.prepare()
            bench = Bench(hs, bot, bob, echo, maker)
            await _first_run(bench)
            for rooms in args.rooms:
                print(f"measuring at {rooms} rooms…", flush=True)
                levels.append(await bench.level(rooms, args))
        finally:
            if bob is not None:
                await bob.stop()
            if echo is not None:
                echo.stop()
            if bot is not None:
                with contextlib.suppress(Exception):
                    await bot.stop()
                bot.kill()
            hs.stop()
    return built, levels


# ----- the report ---------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _span(starts: Sequence[Start], attr: Callable[[Start], float]) -> str:
    values = [attr(s) for s in starts]
    return f"{_median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def report(built: Built, levels: list[Level], args: argparse.Namespace) -> None:
    """Print the figures as Markdown tables."""
    print()
    print(f"Machine: {machine()}")
    print(
        f"Database: {built.signups:,} sign-ups over {built.groups} groups ({built.waiting:,} on"
        f" waitlists), {built.meetings:,} meetings, {built.organisations:,} organisations;"
        f" rooms {args.encrypted:.0%} encrypted, each with the organiser, the bot and"
        f" {args.extra_members} other members."
    )
    print()
    print(table(["built through", "seconds"], [(k, f"{v:.1f}") for k, v in built.seconds.items()]))
    made = ", ".join(f"{lv.create_seconds:.0f} s to reach {lv.rooms}" for lv in levels)
    print(f"\nRooms created and joined through the APIs: {made}.\n")
    print(f"Start (median of {args.starts} restarts, min–max in brackets; seconds from spawn):")
    print()
    rows = [
        (
            lv.rooms,
            f"{lv.catch_up.first_answer:.2f}",
            _span(lv.starts, lambda s: s.connected),
            _span(lv.starts, lambda s: s.first_answer),
            _span(lv.starts, lambda s: s.second_answer),
            _span(lv.starts, lambda s: s.settled),
            f"{_median([s.cpu for s in lv.starts]):.1f}",
            f"{_median([s.rss for s in lv.starts]):.0f}",
            f"{_median([s.peak_rss for s in lv.starts]):.0f}",
            f"{lv.rss_after_commands:.0f}",
        )
        for lv in levels
    ]
    header = [
        "rooms",
        "catch-up start: first answer",
        "first sync done",
        "first answer",
        "next command's round trip",
        "settled",
        "CPU s",
        "RSS settled MB",
        "peak RSS MB",
        f"RSS after {4 * (args.runs + 2)} commands MB",
    ]
    print(table(header, rows))
    print()
    print(f"Round trips as the person sees them, ms ({args.runs} runs each, after 2 warm-ups):")
    print()
    trips = []
    for lv in levels:
        for kind, values in lv.latencies.items():
            p = percentiles([v * 1000 for v in values])
            trips.append((lv.rooms, kind, f"{p['p50']:.0f}", f"{p['p95']:.0f}", f"{p['max']:.0f}"))
    print(table(["rooms", "command", "p50", "p95", "max"], trips))
    _growth(levels)


def _growth(levels: list[Level]) -> None:
    if len(levels) < 2:
        return
    low, high = levels[0], levels[-1]
    extra = high.rooms - low.rooms
    start = _median([s.first_answer for s in high.starts]) - _median(
        [s.first_answer for s in low.starts]
    )
    rss = _median([s.rss for s in high.starts]) - _median([s.rss for s in low.starts])
    print()
    print(
        f"Growth from {low.rooms} to {high.rooms} rooms: first answer +{start * 1000 / extra:.1f}"
        f" ms per room, settled RSS +{rss * 1024 / extra:.0f} KB per room."
    )


def main() -> None:
    """Parse the options and run the benchmark (or the echo floor client)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rooms", default="100,300,1000", help="room counts, comma-separated")
    parser.add_argument("--runs", type=int, default=30, help="timed round trips per command")
    parser.add_argument("--starts", type=int, default=3, help="timed restarts per room count")
    parser.add_argument("--signups", type=int, default=100_000)
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--extra-members", type=int, default=2, help="people per room besides")
    parser.add_argument("--encrypted", type=float, default=0.5, help="share of rooms encrypted")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--echo-floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo_floor:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_echo_main())
        return
    args.rooms = sorted(int(n) for n in args.rooms.split(","))
    print(f"scale: rooms {args.rooms}; {machine()}", flush=True)
    started = time.perf_counter()
    built, levels = asyncio.run(run(args))
    report(built, levels, args)
    print(f"\n(total {time.perf_counter() - started:.0f} s at {datetime.now(UTC):%H:%M} UTC)")


if __name__ == "__main__":
    main()
