"""Command round trips through a local Synapse: the bot against a bare matrix-nio floor.

A person (a syncing E2EE nio client, the one the integration tests use) types commands to the
real bot process (`natm-bot run`) and, interleaved round by round, `!ping` to a bare nio client
running in its own process (the floor: it syncs in its own loop and answers every `!ping` with
a plain m.notice reply). Both are measured the same way: from just before the person's
`room_send` until the person's client receives the reply (the time its event callback runs).
Cases: `!principles` in a plain and in an encrypted room, `!join ed-tech` and `!leave ed-tech`,
`!meetings` (two meetings planned first), and the floor in a plain and in an encrypted room.

    .venv/bin/python bench/latency.py [--rounds 200] [--warmup 10] [--gap 0.05] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml
from nio import (
    AsyncClientConfig,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    RoomMessageNotice,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

from bench.common import machine, percentiles, stop_all, table
from natm_bot.core.trace import STAGES, TRACE_ENV
from natm_bot.matrix.session import Client
from natm_bot.testing.devserver import LocalSynapse
from tests.integration.people import BotProcess, Person

FLOOR_PASSWORD_ENV = "NATM_BENCH_FLOOR_PASSWORD"
REPLY_TIMEOUT_S = 30.0
# The per-person command budget of the bot, raised to the most bot.yaml allows: one person
# types a thousand commands here in a few minutes.
TRACE_LINE = re.compile(r"trace (\$\S+) ((?:\w+=[0-9.]+ ?)+) reply=([0-9.]+) total=([0-9.]+)")
COLUMNS = (*STAGES, "reply", "total")
SLOWEST = 3  # the slowest round trips of each case shown with their stages (the tail)
SAFETY = {"rate_burst": 1000, "rate_per_minute": 6000}
GROUP = "ed-tech"
PRINCIPLE = "!principles 1"  # one principle, as the issue measured natm-bot against its peers

# ----------------------------------------------------------------------------------------------
# The floor: a bare matrix-nio client in its own process.


async def floor_client(homeserver: str, user_id: str, store: str) -> None:
    """Log in, sync in a loop of our own, answer each `!ping` with an m.notice reply."""
    config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
    # nio's client as it is, noting when each sync response was read (as the bot's trace
    # does), so the floor's own time to its reply is known.
    client = Client(homeserver, user_id, store_path=store, config=config)
    response = await client.login(os.environ[FLOOR_PASSWORD_ENV], device_name="floor")
    if not isinstance(response, LoginResponse):
        raise SystemExit(f"floor: login failed: {response}")

    timings: list[str] = []  # written when the floor stops: no file work while it answers

    async def on_text(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == client.user_id or not event.body.startswith("!ping"):
            return
        began = time.time()
        content = {
            "msgtype": "m.notice",
            "body": "pong",
            "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
        }
        try:
            sending = time.time()
            await client.room_send(
                room.room_id, "m.room.message", content, ignore_unverified_devices=True
            )
        except Exception as exc:  # never let a callback end the sync loop
            print(f"floor: could not answer {event.event_id}: {exc!r}", file=sys.stderr)
            return
        done = time.time()
        read = float(getattr(client, "sync_read_at", 0.0)) or began
        # The same stages as the bot's trace, as far as a bare client has them.
        timings.append(
            f"{event.event_id} before={(sending - read) * 1000:.2f}"
            f" send={(done - sending) * 1000:.2f} reply={(done - read) * 1000:.2f}\n"
        )

    client.add_event_callback(on_text, RoomMessageText)

    async def sync_loop() -> None:
        first = True
        while True:
            sync = await client.sync(timeout=0 if first else 30_000, full_state=first)
            if not isinstance(sync, SyncResponse):
                await asyncio.sleep(0.5)
                continue
            for room_id in sync.rooms.invite:
                await client.join(room_id)
            # What nio's sync_forever does after each sync.
            chores: list[Any] = [client.send_to_device_messages()]
            if client.should_upload_keys:
                chores.append(client.keys_upload())
            if client.should_query_keys:
                chores.append(client.keys_query())
            if client.should_claim_keys:
                chores.append(client.keys_claim(client.get_users_for_key_claiming()))
            await asyncio.gather(*chores)
            if first:
                print("ready", flush=True)
                first = False

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    task = asyncio.create_task(sync_loop())
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, waiter):
        pending.cancel()
    await asyncio.gather(task, waiter, return_exceptions=True)
    await client.close()
    (Path(store) / "timings.txt").write_text("".join(timings), encoding="utf-8")
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise SystemExit(f"floor: sync loop failed: {task.exception()!r}")


class FloorProcess:
    """The floor client as a subprocess of this script."""

    def __init__(self, hs: LocalSynapse, user_id: str, password: str, store: Path) -> None:
        self.user_id = user_id
        store.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--floor-client",
                hs.url,
                user_id,
                str(store),
            ],
            stdout=subprocess.PIPE,
            env={**os.environ, FLOOR_PASSWORD_ENV: password},
        )

    async def ready(self, timeout: float = 60) -> None:
        """Until the floor has synced once."""
        assert self.process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), timeout)
        if line.strip() != b"ready":
            raise RuntimeError(f"the floor client did not start: {line!r}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


# ----------------------------------------------------------------------------------------------
# Measuring from the person's side.


class Stopwatch:
    """Notes when each reply (by the event id it replies to) reaches the person's client."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.arrived: dict[str, float] = {}
        self.stamps: dict[str, int] = {}  # origin_server_ts of each message, by event id
        self.replied_by: dict[str, str] = {}  # command event id → reply event id
        self.undecryptable = 0
        self._waiting: dict[str, asyncio.Future[float]] = {}
        person.client.add_event_callback(self._on_notice, RoomMessageNotice)
        person.client.add_event_callback(self._on_text, RoomMessageText)
        person.client.add_event_callback(self._on_megolm, MegolmEvent)

    async def _on_notice(self, room: MatrixRoom, event: RoomMessageNotice) -> None:
        now = time.perf_counter()
        relation = event.source.get("content", {}).get("m.relates_to") or {}
        target = (relation.get("m.in_reply_to") or {}).get("event_id")
        self.stamps[event.event_id] = event.server_timestamp
        if not isinstance(target, str) or target in self.arrived:
            return
        self.arrived[target] = now
        self.replied_by[target] = event.event_id
        future = self._waiting.pop(target, None)
        if future is not None and not future.done():
            future.set_result(now)

    async def _on_text(self, room: MatrixRoom, event: RoomMessageText) -> None:
        self.stamps[event.event_id] = event.server_timestamp

    def server_gap(self, event_id: str) -> float | None:
        """Milliseconds between the command and its reply, by the server's clock."""
        reply = self.replied_by.get(event_id)
        if reply is None or event_id not in self.stamps or reply not in self.stamps:
            return None
        return float(self.stamps[reply] - self.stamps[event_id])

    async def _on_megolm(self, room: MatrixRoom, event: MegolmEvent) -> None:
        self.undecryptable += 1

    async def round_trip(self, room_id: str, body: str) -> tuple[float, float, str] | None:
        """(seconds from just before room_send until the reply arrives, seconds room_send
        took, the command's event id); None when no reply came in time."""
        content = {"msgtype": "m.text", "body": body}
        started = time.perf_counter()
        response = await self.person.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        sent = time.perf_counter()
        if not isinstance(response, RoomSendResponse):
            raise RuntimeError(f"could not send {body!r}: {response}")
        event_id = str(response.event_id)
        if event_id not in self.arrived:
            future = asyncio.get_running_loop().create_future()
            self._waiting[event_id] = future
            try:
                await asyncio.wait_for(future, REPLY_TIMEOUT_S)
            except TimeoutError:
                self._waiting.pop(event_id, None)
                return None
        return self.arrived[event_id] - started, sent - started, event_id


@dataclass
class Case:
    """One kind of round trip: who answers, in which room, what is typed."""

    name: str
    floor: str  # the floor case this one is compared with ("" for the floors themselves)
    room: str
    body: str
    times: list[float] = field(default_factory=list)
    sends: list[float] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    by_round: dict[int, float] = field(default_factory=dict)
    lost: int = 0


# ----------------------------------------------------------------------------------------------
# Setting up and running.


def raise_rate_limit(bot: BotProcess) -> None:
    """Give the bot.yaml the highest per-person command budget it accepts."""
    settings = yaml.safe_load(bot.config.read_text(encoding="utf-8"))
    settings["safety"] = dict(SAFETY)
    bot.config.write_text(yaml.safe_dump(settings), encoding="utf-8")


async def new_user(hs: LocalSynapse, prefix: str) -> tuple[str, str]:
    """A fresh account: (mxid, password)."""
    password = secrets.token_urlsafe(12)
    mxid = await hs.aregister_user(f"{prefix}-{secrets.token_hex(3)}", password)
    return mxid, password


async def plan_meetings(
    hs: LocalSynapse, folder: Path, bot: BotProcess, account: tuple[str, str]
) -> None:
    """Two meetings, planned through the bot by an admin, so `!meetings` lists something."""
    mxid, password = account
    organiser = await Person(hs, mxid, password, folder / "organiser").start()
    try:
        room = await organiser.create_room([bot.user_id], name="planning")
        await organiser.wait_joined(room, bot.user_id)
        soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
        for days, title in ((0, "Coordination call"), (1, "Readings circle")):
            when = soon + timedelta(days=days)
            text = f'!meeting add title="{title}" when="{when:%Y-%m-%d %H:%M}" tz=UTC'
            answer = await organiser.ask(room, text, bot.user_id)
            body = str(answer.source["content"]["body"])
            if not body.startswith("Planned"):
                raise RuntimeError(f"could not plan a meeting: {body}")
    finally:
        await organiser.stop()


async def measure(args: argparse.Namespace, folder: Path) -> None:
    """Start everything, run the rounds, print the figures, stop everything."""
    hs = LocalSynapse(folder / "synapse")
    await asyncio.to_thread(hs.start)
    bot: BotProcess | None = None
    floor: FloorProcess | None = None
    person: Person | None = None
    try:
        bot_id, bot_password = await new_user(hs, "natm-bot")
        floor_id, floor_password = await new_user(hs, "floor")
        alice_id, alice_password = await new_user(hs, "alice")
        organiser = await new_user(hs, "organiser")
        bot = BotProcess(
            folder / "bot",
            hs,
            bot_id,
            admins=(organiser[0],),
            invites={"allowed_servers": [hs.server_name]},
        )
        raise_rate_limit(bot)
        await asyncio.to_thread(bot.login, bot_password)
        await bot.start(env={TRACE_ENV: "1"} if args.trace else None)
        floor = FloorProcess(hs, floor_id, floor_password, folder / "floor")
        await floor.ready()
        person = await Person(hs, alice_id, alice_password, folder / "alice").start()
        watch = Stopwatch(person)

        rooms: dict[str, str] = {}
        for key, peer, encrypted in (
            ("bot-plain", bot.user_id, False),
            ("bot-e2ee", bot.user_id, True),
            ("bot-join", bot.user_id, False),
            ("bot-leave", bot.user_id, False),
            ("bot-meetings", bot.user_id, False),
            ("floor-plain", floor.user_id, False),
            ("floor-e2ee", floor.user_id, True),
        ):
            rooms[key] = await person.create_room([peer], encrypted=encrypted, name=key)
            await person.wait_joined(rooms[key], peer)
        await plan_meetings(hs, folder, bot, organiser)
        cases = run_cases(rooms)
        print(f"warming up: {args.warmup} rounds; measuring: {args.rounds} rounds", flush=True)
        await rounds(watch, cases, args.warmup, args.gap, random.Random(args.seed), record=False)
        for case in cases:
            case.lost = 0
        started = time.perf_counter()
        await rounds(watch, cases, args.rounds, args.gap, random.Random(args.seed + 1))
        print(f"measured in {time.perf_counter() - started:.0f} s", flush=True)
        floor.stop()  # it writes its timings as it stops
        report(cases, watch)
        if args.trace:
            found = traces(bot.log.read_text(encoding="utf-8"))
            stages(cases, found)
            beside_the_floor(cases, found, folder / "floor")
    finally:
        if person is not None:
            await person.stop()
        if floor is not None:
            floor.stop()
        await stop_all(bot, hs)


def run_cases(rooms: dict[str, str]) -> list[Case]:
    """Every case measured, floors first; each in a room of its own, as each floor case is,
    so that no case's room carries more traffic than its floor's."""
    return [
        Case("floor, plain room: !ping", "", rooms["floor-plain"], "!ping"),
        Case("floor, encrypted room: !ping", "", rooms["floor-e2ee"], "!ping"),
        Case("bot, plain room: !principles 1", "floor-plain", rooms["bot-plain"], PRINCIPLE),
        Case("bot, encrypted room: !principles 1", "floor-e2ee", rooms["bot-e2ee"], PRINCIPLE),
        Case(f"bot, plain room: !join {GROUP}", "floor-plain", rooms["bot-join"], "!join"),
        Case(f"bot, plain room: !leave {GROUP}", "floor-plain", rooms["bot-leave"], "!leave"),
        Case("bot, plain room: !meetings", "floor-plain", rooms["bot-meetings"], "!meetings"),
    ]


async def rounds(
    watch: Stopwatch,
    cases: Sequence[Case],
    count: int,
    gap: float,
    rng: random.Random,
    *,
    record: bool = True,
) -> None:
    """`count` rounds; in each, every case once, in a shuffled order (`!join` then `!leave`)."""
    units: list[list[Case]] = [[c] for c in cases if c.body not in ("!join", "!leave")]
    units.append([c for c in cases if c.body in ("!join", "!leave")])
    for number in range(count):
        rng.shuffle(units)
        for unit in units:
            for case in unit:
                body = f"{case.body} {GROUP}" if case.body in ("!join", "!leave") else case.body
                sample = await watch.round_trip(case.room, body)
                if sample is None:
                    case.lost += 1
                elif record:
                    case.times.append(sample[0])
                    case.sends.append(sample[1])
                    case.events.append(sample[2])
                    case.by_round[number] = sample[0]
                await asyncio.sleep(gap)
        if record and (number + 1) % 50 == 0:
            print(f"  {number + 1} rounds", flush=True)


def floor_of(case: Case, cases: Sequence[Case]) -> Case | None:
    """The floor a bot case is compared with."""
    wanted = "floor, plain room: !ping" if case.floor == "floor-plain" else "floor, encrypted"
    return next((c for c in cases if c.name.startswith(wanted)), None) if case.floor else None


def report(cases: Sequence[Case], watch: Stopwatch) -> None:
    """The round trips in ms, and each bot case as a multiple of its floor."""
    keys = ("p50", "p95", "p99", "max")
    rows = []
    for case in cases:
        stats = percentiles([t * 1000 for t in case.times])
        rows.append([case.name, len(case.times), case.lost, *(f"{stats[k]:.1f}" for k in keys)])
    print("\nround trip, ms (send → reply seen by the person's client)")
    print(table(["case", "n", "lost", "p50", "p95", "p99", "max"], rows))
    ratio_rows = []
    for case in cases:
        floor = floor_of(case, cases)
        if floor is None:
            continue
        mine, base = percentiles(case.times), percentiles(floor.times)
        paired = [t - floor.by_round[r] for r, t in case.by_round.items() if r in floor.by_round]
        ratio_rows.append(
            [
                case.name,
                floor.name.split(":")[0],
                *(f"{mine[k] / base[k]:.2f}×" for k in keys),
                f"{percentiles(paired)['p50'] * 1000:+.1f}",
            ]
        )
    print("\nbot / floor, per percentile; and the median of (bot − floor) in the same round, ms")
    header = ["case", "compared with", "p50", "p95", "p99", "max", "paired Δ p50"]
    print(table(header, ratio_rows))
    split_rows = []
    for case in cases:
        gaps = [g for g in map(watch.server_gap, case.events) if g is not None]
        total = percentiles([t * 1000 for t in case.times])["p50"]
        send = percentiles([t * 1000 for t in case.sends])["p50"]
        gap = percentiles(gaps)["p50"]
        rest = total - send - gap
        split_rows.append([case.name, f"{total:.1f}", f"{send:.1f}", f"{gap:.0f}", f"{rest:.1f}"])
    print("\nwhere the time goes, p50 of each part, ms")
    header = ["case", "round trip", "person's send", "server: command → reply", "rest"]
    print(table(header, split_rows))
    print(f"\nundecryptable events seen by the person: {watch.undecryptable}")
    targets(cases)


def traces(log: str) -> dict[str, dict[str, float]]:
    """The bot's trace lines (NATM_BOT_TRACE=1) in its log: ms per stage, by event id."""
    found: dict[str, dict[str, float]] = {}
    for m in TRACE_LINE.finditer(log):
        parts = {k: float(v) for k, v in (p.split("=") for p in m[2].split())}
        found[m[1]] = {**parts, "reply": float(m[3]), "total": float(m[4])}
    return found


def stages(cases: Sequence[Case], found: dict[str, dict[str, float]]) -> None:
    """The bot's own trace: the p50 of each stage per case, ms."""
    rows = []
    for case in cases:
        traced = [found[e] for e in case.events if e in found]
        if not traced:
            continue
        cells = [f"{percentiles([t.get(c, 0.0) for t in traced])['p50']:.2f}" for c in COLUMNS]
        rows.append([case.name, len(traced), *cells])
    print("\ninside the bot, p50 of each stage, ms (NATM_BOT_TRACE=1; see natm_bot/core/trace.py)")
    print(table(["case", "n", *COLUMNS], rows))
    slowest = []
    for case in cases:
        timed = sorted(zip(case.times, case.events, strict=True), reverse=True)[:SLOWEST]
        for seconds, event in timed:
            if event in found:
                stages_of = [f"{found[event].get(c, 0.0):.1f}" for c in COLUMNS]
                slowest.append([case.name, f"{seconds * 1000:.1f}", *stages_of])
    print(f"\nthe {SLOWEST} slowest round trips of each case, and the bot's stages in them, ms")
    print(table(["case", "round trip", *COLUMNS], slowest))


FLOOR_LINE = re.compile(r"(\$\S+) before=([0-9.]+) send=([0-9.]+) reply=([0-9.]+)")


def beside_the_floor(
    cases: Sequence[Case], found: dict[str, dict[str, float]], floor_store: Path
) -> None:
    """From the sync response read to the reply sent, the bot beside the floor: the time
    before the send, and the send (the homeserver's answer to it), p50 in ms."""
    bot = {e: (t["reply"] - t["send"], t["send"], t["reply"]) for e, t in found.items()}
    timings = floor_store / "timings.txt"
    text = timings.read_text(encoding="utf-8") if timings.exists() else ""
    floor = {m[1]: (float(m[2]), float(m[3]), float(m[4])) for m in FLOOR_LINE.finditer(text)}
    rows = []
    for case in cases:
        source = floor if not case.floor else bot
        parts = [source[e] for e in case.events if e in source]
        if parts:
            cells = (percentiles([p[i] for p in parts])["p50"] for i in range(3))
            rows.append([case.name, len(parts), *(f"{c:.2f}" for c in cells)])
    print("\nfrom the sync response read to the reply sent, p50, ms")
    print(table(["case", "n", "before the send", "send", "reply sent"], rows))


def targets(cases: Sequence[Case]) -> None:
    """The targets: `!principles` within 1.03× of the floor at p50 and 1.05× at p99, plain
    and encrypted; `!join` within 1.05× at p50."""
    print("\ntargets")
    for case in cases:
        floor = floor_of(case, cases)
        if floor is None or case.body not in (PRINCIPLE, "!join"):
            continue
        mine, base = percentiles(case.times), percentiles(floor.times)
        checks = [("p50", 1.03), ("p99", 1.05)] if case.body == PRINCIPLE else [("p50", 1.05)]
        for key, limit in checks:
            ratio = mine[key] / base[key]
            verdict = "met" if ratio <= limit else "MISSED"
            print(f"- {case.name}: {key} {ratio:.3f}× (target ≤ {limit:.2f}×): {verdict}")


def main() -> None:
    """Parse the options; run the benchmark (or, with --floor-client, be the floor)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="measured rounds per case")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured rounds first")
    parser.add_argument(
        "--gap", type=float, default=0.05, help="pause after each round trip, seconds"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the shuffled order")
    parser.add_argument(
        "--trace",
        action="store_true",
        help="the bot traces each command's stages (NATM_BOT_TRACE)",
    )
    parser.add_argument(
        "--floor-client",
        nargs=3,
        metavar=("HOMESERVER", "USER_ID", "STORE"),
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args()
    if args.floor_client:
        homeserver, user_id, store = args.floor_client
        asyncio.run(floor_client(homeserver, user_id, store))
        return
    logging.basicConfig(level=logging.ERROR)  # nio's warnings about sessions it sets up
    print(f"latency: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="natm-latency-") as folder:
        asyncio.run(measure(args, Path(folder)))


if __name__ == "__main__":
    main()
