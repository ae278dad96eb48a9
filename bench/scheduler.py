"""How punctually the bot announces 10,000 meeting occurrences due within three minutes.

Creates one-off meetings through MeetingService (`reminders=0`, so each occurrence is exactly
one announcement), their start times spread second by second over `--spread` seconds from
`--lead` seconds ahead, in ten time zones, into five rooms. Then runs the real announcer and
scheduler (App.start_scheduler, APScheduler, the SystemClock) over an in-memory transport that
renders each message as the Matrix transport would and records the wall-clock time of every
send. Reports the delay from due time to send (p50/p99/max), that none was missed (every
occurrence sent, and recorded as `sent` in the ledger) and none doubled (each ledger key
once, each send once), and what announcer.load() costs for those meetings and for 10,000
everyday ones (`--load`: recurring, with the default reminders).

The Matrix variants do the same through the real bot process (`natm-bot run`) into four
rooms of a local Synapse (two of them encrypted), timing each announcement by the
homeserver's timestamp and by when a person's client received it: `--matrix N` at a pace
Synapse keeps up with, `--burst N` faster than it can take them (0 skips either).

    .venv/bin/python bench/scheduler.py [--count 10000] [--spread 180] [--lead 60]
        [--load 10000] [--matrix 1000] [--matrix-spread 60] [--burst 600] [--burst-spread 12]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nio import Event, MatrixRoom, MegolmEvent, RoomMessageNotice, SyncResponse

from bench.common import machine, percentiles, rss_mb, table
from bench.scale import generated_meetings
from natm_bot.app import App
from natm_bot.config.settings import load_config
from natm_bot.core.clock import SystemClock
from natm_bot.core.jobs import AnnouncementSource
from natm_bot.core.messages import EventId, Outgoing
from natm_bot.features.meetings.delivery import txn_id_for
from natm_bot.features.meetings.occurrences import occurrence_key
from natm_bot.matrix.content import message_content
from natm_bot.storage.announcements import LedgerKey
from natm_bot.testing.devserver import LocalSynapse
from natm_bot.testing.harness import make_config
from natm_bot.transport.memory import MemoryTransport
from tests.integration.people import BotProcess, Person

ZONES = (
    "Europe/Berlin",
    "America/Mexico_City",
    "Africa/Nairobi",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Asia/Manila",
    "Pacific/Auckland",
    "America/Bogota",
    "Asia/Jakarta",
    "UTC",
)
TITLE = "Scheduler bench {index}"
TITLE_RE = re.compile(r"Scheduler bench (\d+)")


class RecordingTransport(MemoryTransport):
    """The in-memory transport, rendering each message as Matrix would and noting when every
    send call happened (duplicates included, before the txn-id de-duplication)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[float, Outgoing]] = []

    async def send(self, out: Outgoing) -> EventId:
        """Render, note the wall-clock time, keep."""
        message_content(out.reply)
        self.calls.append((time.time(), out))
        return await super().send(out)


@dataclass
class Plan:
    """The meetings to create: each one's due time and room."""

    due: list[datetime]
    rooms: list[str]

    @classmethod
    def spread(cls, count: int, lead: float, spread: float, rooms: list[str]) -> Plan:
        """`count` due times at whole seconds, evenly over `spread` s from `lead` s ahead."""
        first = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=round(lead))
        due = [first + timedelta(seconds=int(i * spread / count)) for i in range(count)]
        return cls(due, [rooms[i % len(rooms)] for i in range(count)])


async def create_meetings(app: App, plan: Plan) -> dict[int, int]:
    """One-off meetings, one announcement each; meeting id → index in the plan."""
    ids: dict[int, int] = {}
    for index, (due, room) in enumerate(zip(plan.due, plan.rooms, strict=True)):
        tz = ZONES[index % len(ZONES)]
        local = due.astimezone(ZoneInfo(tz))
        text = (
            f'title="{TITLE.format(index=index)}" when="{local:%Y-%m-%d %H:%M:%S}" tz={tz}'
            " duration=1h reminders=0 link=https://meet.example.org/bench"
        )
        meeting = await app.meetings.create(text, asker="@organiser:localhost", room=room)
        ids[meeting.id] = index
    return ids


async def ledger_statuses(app: App, ids: dict[int, int]) -> Counter[str]:
    """How each planned announcement stands in the ledger (`sent`, `late`, `missed`, `none`,
    or `extra` for any row beyond the one expected)."""
    found: Counter[str] = Counter()
    for meeting_id in ids:
        rows = await app.announcer.ledger.statuses(AnnouncementSource.meeting(meeting_id))
        found[rows[0][3] if rows else "none"] += 1
        found["extra"] += max(0, len(rows) - 1)
        found["wrong key"] += sum(
            1 for _, offset, channel, _ in rows if (offset, channel) != (0, "rooms")
        )
    return found


# ----- the in-memory run --------------------------------------------------------------------


@dataclass
class Outcome:
    """What one run found."""

    count: int
    delays: list[float] = field(default_factory=list)  # seconds, first send of each
    missed: int = 0
    doubled_sends: int = 0
    ledger: Counter[str] = field(default_factory=Counter)
    figures: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # the bot's warnings, when something is off


async def _wait_until(moment: datetime, done: Callable[[], bool], poll: float = 0.5) -> None:
    while True:
        if datetime.now(UTC) >= moment or done():
            return
        await asyncio.sleep(poll)


async def in_memory(count: int, lead: float, spread: float) -> Outcome:
    """Create, load and announce `count` occurrences with the real scheduler."""
    outcome = Outcome(count)
    with tempfile.TemporaryDirectory(prefix="natm-scheduler-") as folder:
        transport = RecordingTransport()
        app = App(make_config(Path(folder)), transport, clock=SystemClock())
        await app.start()
        try:
            rooms = [f"!bench-{n}:localhost" for n in range(5)]
            plan = Plan.spread(count, lead, spread, rooms)
            started = time.perf_counter()
            ids = await create_meetings(app, plan)
            outcome.figures["create the meetings"] = f"{time.perf_counter() - started:.1f} s"
            await _load(app, outcome)
            slack = (plan.due[0] - datetime.now(UTC)).total_seconds()
            outcome.figures["time left before the first is due"] = f"{slack:.0f} s"
            await app.start_scheduler()
            expected = _expected(ids, plan)
            end = plan.due[-1] + timedelta(seconds=10)
            await _wait_until(end, lambda: len(transport.calls) >= count)
            await asyncio.sleep(2)  # anything late or doubled would show up meanwhile
            _judge(outcome, transport.calls, expected)
            outcome.ledger = await ledger_statuses(app, ids)
        finally:
            await app.close()
    return outcome


async def _load(app: App, outcome: Outcome) -> None:
    """Time announcer.load() over every meeting, and the memory its streams take."""
    before = rss_mb(os.getpid())
    started = time.perf_counter()
    await app.announcer.load()
    seconds = time.perf_counter() - started
    outcome.figures["announcer.load()"] = f"{seconds:.2f} s"
    outcome.figures["RSS growth during load()"] = f"{rss_mb(os.getpid()) - before:.0f} MB"


def _expected(ids: dict[int, int], plan: Plan) -> dict[str, float]:
    """txn id of each planned announcement → its due time (Unix seconds)."""
    expected: dict[str, float] = {}
    for meeting_id, index in ids.items():
        due = plan.due[index]
        key = LedgerKey(AnnouncementSource.meeting(meeting_id), occurrence_key(due), 0, "rooms")
        expected[txn_id_for(key, plan.rooms[index])] = due.timestamp()
    return expected


def _judge(
    outcome: Outcome, calls: list[tuple[float, Outgoing]], expected: dict[str, float]
) -> None:
    first: dict[str, float] = {}
    for at, out in calls:
        if out.txn_id in first or out.txn_id not in expected:
            outcome.doubled_sends += 1
            continue
        first[out.txn_id] = at
    outcome.missed = len(set(expected) - set(first))
    outcome.delays = [first[txn] - expected[txn] for txn in first]


# ----- what loading costs with everyday meetings ---------------------------------------------


async def load_cost(count: int, seed: int = 7) -> dict[str, str]:
    """announcer.load() over `count` meetings like scale.py's (70% recurring, the default
    reminders 1 day, 1 hour and at the start, plus the 1-hour direct-message reminder)."""
    figures: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="natm-scheduler-load-") as folder:
        app = App(make_config(Path(folder)), MemoryTransport(), clock=SystemClock())
        await app.start()
        try:
            await generated_meetings(app, count, await app.groups.all(), random.Random(seed))
            gc.collect()
            before, objects = rss_mb(os.getpid()), len(gc.get_objects())
            started = time.perf_counter()
            await app.announcer.load()
            figures["announcer.load()"] = f"{time.perf_counter() - started:.2f} s"
            figures["RSS growth during load()"] = f"{rss_mb(os.getpid()) - before:.0f} MB"
            figures["objects the garbage collector tracks, added by load()"] = (
                f"{len(gc.get_objects()) - objects:,}"
            )
            started = time.perf_counter()
            gc.collect()
            figures["a full garbage collection afterwards"] = (
                f"{(time.perf_counter() - started) * 1000:.0f} ms"
            )
        finally:
            await app.close()
    return figures


# ----- through Matrix -----------------------------------------------------------------------


class Observer(Person):
    """A person in the announcement rooms whose client notes when each message arrived."""

    def __init__(self, hs: LocalSynapse, mxid: str, password: str, store: Path) -> None:
        super().__init__(hs, mxid, password, store)
        self.arrivals: dict[str, float] = {}

    async def start(self) -> Observer:
        """Log in and sync with a timeline long enough that no announcement is skipped."""
        await self.client.login(self.password, device_name="scheduler observer")
        self.client.add_event_callback(self._note, RoomMessageNotice)
        self.client.add_event_callback(self._note, MegolmEvent)
        self.client.add_event_callback(self._on_event, Event)
        self.client.add_response_callback(self._on_sync, SyncResponse)
        timeline = {"room": {"timeline": {"limit": 1000}}}
        self._sync = asyncio.create_task(
            self.client.sync_forever(timeout=30_000, full_state=True, sync_filter=timeline)
        )
        await self.client.synced.wait()
        return self

    async def _note(self, room: MatrixRoom, event: RoomMessageNotice | MegolmEvent) -> None:
        self.arrivals.setdefault(event.event_id, time.time())


async def _matrix_rooms(hs: LocalSynapse, bot: BotProcess, observer: Observer) -> list[str]:
    """Two plain and two encrypted rooms the bot accepted an invitation to."""
    rooms = []
    for n in range(4):
        room = await observer.create_room([bot.user_id], encrypted=n % 2 == 1, name=f"ann {n}")
        await observer.wait_joined(room, bot.user_id)
        rooms.append(room)
    return rooms


async def through_matrix(count: int, lead: float, spread: float) -> Outcome:
    """The same through `natm-bot run`, a local Synapse and a person's client."""
    outcome = Outcome(count)
    with tempfile.TemporaryDirectory(prefix="natm-scheduler-matrix-") as folder:
        base = Path(folder)
        hs = LocalSynapse(base / "synapse")
        hs.start()
        bot: BotProcess | None = None
        observer: Observer | None = None
        try:
            bot_id = await hs.aregister_user("natm-bot", "bot-password")
            person_id = await hs.aregister_user("observer", "observer-password")
            bot = BotProcess(
                base / "bot", hs, bot_id, invites={"allowed_servers": [hs.server_name]}
            )
            await asyncio.to_thread(bot.login, "bot-password")
            observer = await Observer(hs, person_id, "observer-password", base / "obs").start()
            await bot.start()
            rooms = await _matrix_rooms(hs, bot, observer)
            await bot.stop()
            plan = Plan.spread(count, lead, spread, rooms)
            app = App(load_config(bot.config), MemoryTransport(bot_id))
            await app.start()
            try:
                ids = await create_meetings(app, plan)
            finally:
                await app.close()
            await bot.start()
            end = plan.due[-1] + timedelta(seconds=10)
            await _wait_until(end, lambda: len(observer.arrivals) >= count)
            await asyncio.sleep(3)
            await bot.stop()
            _judge_matrix(outcome, observer, plan, rooms)
            if outcome.missed or outcome.doubled_sends:
                lines = bot.log_text().splitlines()
                outcome.notes = [ln for ln in lines if " WARNING " in ln or " ERROR " in ln][-10:]
            outcome.ledger = await _bot_ledger(bot, ids)
        finally:
            if observer is not None:
                await observer.stop()
            if bot is not None:
                bot.kill()
            hs.stop()
    return outcome


def _judge_matrix(outcome: Outcome, observer: Observer, plan: Plan, rooms: list[str]) -> None:
    """Delays by the homeserver's timestamp; missed and doubled by the titles seen."""
    seen: Counter[int] = Counter()
    received: list[float] = []
    for room in rooms:
        for event in observer.events[room]:
            if not isinstance(event, RoomMessageNotice):
                continue
            match = TITLE_RE.search(event.body)
            if match is None:
                continue
            index = int(match.group(1))
            seen[index] += 1
            if seen[index] == 1:
                due = plan.due[index].timestamp()
                outcome.delays.append(event.server_timestamp / 1000 - due)
                received.append(observer.arrivals.get(event.event_id, float("nan")) - due)
    outcome.missed = sum(1 for index in range(outcome.count) if not seen[index])
    outcome.doubled_sends = sum(n - 1 for n in seen.values() if n > 1)
    undecrypted = sum(
        1 for room in rooms for event in observer.events[room] if isinstance(event, MegolmEvent)
    )
    p = percentiles(received)
    outcome.figures["received by the person: p50 / p99 / max"] = (
        f"{p['p50']:.3f} / {p['p99']:.3f} / {p['max']:.3f} s"
    )
    outcome.figures["messages the person could not decrypt"] = str(undecrypted)


async def _bot_ledger(bot: BotProcess, ids: dict[int, int]) -> Counter[str]:
    app = App(load_config(bot.config), MemoryTransport(bot.user_id))
    await app.start()
    try:
        return await ledger_statuses(app, ids)
    finally:
        await app.close()


# ----- the report ---------------------------------------------------------------------------


def report(title: str, outcome: Outcome) -> None:
    """Print one run's figures as Markdown tables."""
    p = percentiles(outcome.delays)
    within = sum(1 for d in outcome.delays if d <= 1.0)
    print(f"\n{title}\n")
    rows: list[tuple[str, str]] = [
        ("announcements planned", f"{outcome.count:,}"),
        ("sent (first send of each)", f"{len(outcome.delays):,}"),
        ("not sent by the end (last due + 13 s)", str(outcome.missed)),
        ("doubled (a second send)", str(outcome.doubled_sends)),
        (
            "ledger (`none`: no record)",
            ", ".join(f"{k} {v}" for k, v in sorted(outcome.ledger.items()) if v),
        ),
        ("delay p50", f"{p['p50']:.3f} s"),
        ("delay p99", f"{p['p99']:.3f} s"),
        ("delay max", f"{p['max']:.3f} s"),
        ("sent within 1 s of due", f"{within / max(1, len(outcome.delays)):.1%}"),
        *outcome.figures.items(),
    ]
    print(table(["", "figure"], rows))
    if outcome.notes:
        print("\nThe bot's warnings:\n\n" + "\n".join(f"    {line}" for line in outcome.notes))


def main() -> None:
    """Parse the options, run the in-memory and the Matrix variant, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="occurrences (in-memory)")
    parser.add_argument("--spread", type=float, default=180, help="seconds they spread over")
    parser.add_argument("--lead", type=float, default=60, help="seconds until the first is due")
    parser.add_argument(
        "--matrix", type=int, default=1000, help="occurrences via Synapse; 0: skip"
    )
    parser.add_argument("--matrix-spread", type=float, default=60)
    parser.add_argument("--matrix-lead", type=float, default=30)
    parser.add_argument("--burst", type=int, default=600, help="a faster Matrix run; 0: skip")
    parser.add_argument("--burst-spread", type=float, default=12)
    parser.add_argument("--load", type=int, default=10_000, help="everyday meetings to load")
    args = parser.parse_args()
    print(f"scheduler: {machine()}", flush=True)
    if args.count:
        title = f"In memory: {args.count:,} announcements due over {args.spread:.0f} s"
        report(title, asyncio.run(in_memory(args.count, args.lead, args.spread)))
    if args.load:
        figures = asyncio.run(load_cost(args.load))
        print(f"\nLoading {args.load:,} everyday meetings (70% recurring, 4 reminders each)\n")
        print(table(["", "figure"], list(figures.items())))
    variants = (
        ("", args.matrix, args.matrix_spread),
        (" (a burst)", args.burst, args.burst_spread),
    )
    for name, count, spread in variants:
        if count:
            outcome = asyncio.run(through_matrix(count, args.matrix_lead, spread))
            title = (
                f"Through `natm-bot run` and Synapse{name}: {count:,} announcements due over"
                f" {spread:.0f} s into 4 rooms (delay by the homeserver's timestamp)"
            )
            report(title, outcome)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
