"""A storm of commands at the real bot process, then dispatch + storage throughput in-process.

Part 1, through a local Synapse (rate limits lifted): 100 people in 20 plain rooms send 1,000
commands in 10 bursts of 100 (each burst sent all at once, one command per person, each from
its own connection) to `natm-bot run`. One syncing observer per room records every reply of
the bot, as a person's client sees it. Counted per command (by the `m.in_reply_to` of the
replies): answered exactly once, missing, duplicated; the time to drain (first command sent
until the last reply seen); the bot's peak RSS and CPU seconds. The senders only log in and
send, they do not sync: so the rooms are plain (encryption needs syncing clients).

Part 2, in-process: the real App over the in-memory transport, N mixed commands (including
`!join`/`!leave`, which write to SQLite) from many people, sent with asyncio.gather in
batches: commands per second.

    .venv/bin/python bench/storm.py [--users 100] [--rooms 20] [--bursts 10] [--gap 0.5]
                                    [--commands 20000] [--batch 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import random
import secrets
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    LoginResponse,
    MatrixRoom,
    RoomCreateResponse,
    RoomMessageNotice,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)

from bench.common import Sampler, cpu_seconds, machine, percentiles, stop_all, table
from natm_bot.core.messages import EventId, Message, RoomId, UserId
from natm_bot.matrix.sending import message_content
from natm_bot.storage.events import EventLedger
from natm_bot.testing.devserver import LocalSynapse
from natm_bot.testing.harness import ChatHarness, make_config
from tests.integration.people import BotProcess

SAFETY = {"rate_burst": 1000, "rate_per_minute": 6000}
GROUPS = ("ed-tech", "alternative-platforms", "review-boards", "algorithm-observatory")
# One person's commands, burst after burst; "join/leave" alternates between the two.
CYCLE = (
    "!principles 2",
    "!readings intro",
    "join/leave",
    "!meetings",
    "!groups",
    "!principles 2",
    "join/leave",
    "!readings intro",
    "!meetings",
    "!groups",
)
PLAIN = AsyncClientConfig(encryption_enabled=False, store_sync_tokens=False)


def kind_of(body: str) -> str:
    """The command of a message, for the per-kind table."""
    return body.split()[0]


# ----------------------------------------------------------------------------------------------
# Part 1: the storm through Synapse.


@dataclass
class Observer:
    """A member of one room who syncs and notes every reply of the bot."""

    client: AsyncClient
    bot: str
    replies: Counter[str] = field(default_factory=Counter)
    first_seen: dict[str, float] = field(default_factory=dict)
    own: set[str] = field(default_factory=set)  # what the observer itself typed
    last_reply: float = 0.0
    room_id: str = ""
    _task: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_notice(self, room: MatrixRoom, event: RoomMessageNotice) -> None:
        """Count a reply of the bot against the command it answers."""
        if event.sender != self.bot:
            return
        relation = event.source.get("content", {}).get("m.relates_to") or {}
        target = (relation.get("m.in_reply_to") or {}).get("event_id")
        if isinstance(target, str):
            now = time.perf_counter()
            self.replies[target] += 1
            self.first_seen.setdefault(target, now)
            self.last_reply = now
            self._changed.set()

    async def ask(self, body: str) -> None:
        """Type a command and wait for the bot's answer."""
        event_id = await say(self.client, self.room_id, body)
        self.own.add(event_id)
        await self.wait_reply(event_id)

    def start(self) -> None:
        """Sync in the background."""
        self.client.add_event_callback(self.on_notice, RoomMessageNotice)
        self._task = asyncio.create_task(self._sync_loop())

    async def _sync_loop(self) -> None:
        first = True
        while True:
            response = await self.client.sync(timeout=0 if first else 30_000, full_state=first)
            if not isinstance(response, SyncResponse):
                await asyncio.sleep(0.5)
            first = False

    async def wait_reply(self, event_id: str, timeout: float = 60) -> None:
        """Until the bot has answered `event_id`."""
        deadline = time.perf_counter() + timeout
        while not self.replies[event_id]:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no reply to {event_id}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def wait_member(self, user_id: str, timeout: float = 60) -> None:
        """Until `user_id` has joined the room."""
        deadline = time.perf_counter() + timeout
        while True:
            room = self.client.rooms.get(self.room_id)
            if room is not None and user_id in room.users and user_id not in room.invited_users:
                return
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{user_id} did not join {self.room_id}")
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        """Stop syncing, close the connection."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.client.close()


async def say(client: AsyncClient, room_id: str, body: str) -> str:
    """Send a text message without syncing (plain room); its event id."""
    content = {"msgtype": "m.text", "body": body}
    response = await client.room_send(room_id, "m.room.message", content)
    if not isinstance(response, RoomSendResponse):
        raise RuntimeError(f"could not send {body!r}: {response}")
    return str(response.event_id)


async def accounts(hs: LocalSynapse, prefix: str, count: int) -> list[tuple[str, str]]:
    """`count` fresh accounts (mxid, password), registered a few at a time."""
    tag = secrets.token_hex(2)
    passwords = [secrets.token_urlsafe(12) for _ in range(count)]
    ids = await asyncio.gather(
        *(hs.aregister_user(f"{prefix}-{tag}-{i}", pw) for i, pw in enumerate(passwords))
    )
    return list(zip(ids, passwords, strict=True))


async def sender(hs: LocalSynapse, mxid: str, password: str) -> AsyncClient:
    """A client that is logged in and does nothing else until told to send."""
    localpart = mxid.split(":")[0][1:]
    token, device = await hs.alogin_token(localpart, password)
    client = AsyncClient(hs.url, mxid, config=PLAIN)
    client.restore_login(mxid, device, token)
    return client


@dataclass
class StormResult:
    """What the storm gave."""

    sent: dict[str, str]  # command event id → body
    replies: Counter[str]
    drain_s: float
    after_last_burst_s: float
    send_s: float
    bot_cpu_s: float
    synapse_cpu_s: float
    bot_peak_rss_mb: float
    bot_rss_before_mb: float
    unrelated_replies: int
    waits: list[float]  # per answered command: its burst sent → its reply seen, seconds


async def storm(args: argparse.Namespace, folder: Path) -> StormResult:
    """Set up the people, rooms and bot, send the bursts, count the replies."""
    hs = LocalSynapse(folder / "synapse")
    await asyncio.to_thread(hs.start)
    bot: BotProcess | None = None
    observers: list[Observer] = []
    senders: list[AsyncClient] = []
    try:
        [(bot_id, bot_password)] = await accounts(hs, "natm-bot", 1)
        watchers = await accounts(hs, "observer", args.rooms)
        people = await accounts(hs, "person", args.users)
        bot = BotProcess(
            folder / "bot",
            hs,
            bot_id,
            admins=(watchers[0][0],),
            invites={"allowed_servers": [hs.server_name]},
        )
        settings = yaml.safe_load(bot.config.read_text(encoding="utf-8"))
        settings["safety"] = dict(SAFETY)
        bot.config.write_text(yaml.safe_dump(settings), encoding="utf-8")
        await asyncio.to_thread(bot.login, bot_password)
        await bot.start()
        assert bot.process is not None
        print(f"bot started (pid {bot.process.pid}); setting up {args.rooms} rooms", flush=True)

        for number, (mxid, password) in enumerate(watchers):
            client = AsyncClient(hs.url, mxid, config=PLAIN)
            login = await client.login(password, device_name="observer")
            assert isinstance(login, LoginResponse), login
            created = await client.room_create(
                name=f"storm {number}", invite=[bot_id], preset=RoomPreset.public_chat
            )
            assert isinstance(created, RoomCreateResponse), created
            observer = Observer(client, bot_id, room_id=str(created.room_id))
            observer.start()
            observers.append(observer)
        await asyncio.gather(*(o.wait_member(bot_id) for o in observers))

        senders = list(await asyncio.gather(*(sender(hs, m, p) for m, p in people)))
        room_of = [observers[i % len(observers)].room_id for i in range(len(senders))]
        joins = await asyncio.gather(*(c.join(r) for c, r in zip(senders, room_of, strict=True)))
        assert all(isinstance(j, JoinResponse) for j in joins), joins
        await asyncio.gather(
            *(observers[i % len(observers)].wait_member(c.user_id) for i, c in enumerate(senders))
        )
        await plan_meetings(observers[0])
        print(f"{len(senders)} people joined; storm of {args.bursts} bursts", flush=True)

        plan = commands(len(senders), args.bursts, random.Random(args.seed))
        sent: dict[str, str] = {}
        sent_at: dict[str, float] = {}
        pid = bot.process.pid
        assert hs.pid is not None
        synapse_cpu = cpu_seconds(hs.pid)
        bot_cpu = cpu_seconds(pid)
        with Sampler(pid) as sampler:
            await asyncio.sleep(0.2)  # a first sample of the idle bot
            rss_before = sampler.peak_rss_mb
            first = time.perf_counter()
            for number, burst in enumerate(plan):
                if number:
                    await asyncio.sleep(args.gap)
                burst_started = time.perf_counter()
                ids = await asyncio.gather(
                    *(
                        say(client, room, body)
                        for client, room, body in zip(senders, room_of, burst, strict=True)
                    )
                )
                sent.update(zip(ids, burst, strict=True))
                sent_at.update(dict.fromkeys(ids, burst_started))
            last_sent = time.perf_counter()
            await drain(observers, sent, args.timeout)
            drained = max(o.last_reply for o in observers)
            bot_cpu = cpu_seconds(pid) - bot_cpu
            synapse_cpu = cpu_seconds(hs.pid) - synapse_cpu
            # The bot answers each room's commands in order: once a later command of every
            # room is answered, any second reply to an earlier one would have been seen.
            with contextlib.suppress(TimeoutError):
                await asyncio.gather(*(o.ask("!help join") for o in observers))
            await asyncio.sleep(1.0)
            replies = merged(observers)
        own = set().union(*(o.own for o in observers))
        unrelated = sum(n for e, n in replies.items() if e not in sent and e not in own)
        seen = {e: t for o in observers for e, t in o.first_seen.items()}
        waits = [seen[e] - sent_at[e] for e in sent if e in seen]
        return StormResult(
            sent=sent,
            replies=replies,
            drain_s=drained - first,
            after_last_burst_s=drained - last_sent,
            send_s=last_sent - first,
            bot_cpu_s=bot_cpu,
            synapse_cpu_s=synapse_cpu,
            bot_peak_rss_mb=sampler.peak_rss_mb,
            bot_rss_before_mb=rss_before,
            unrelated_replies=unrelated,
            waits=waits,
        )
    finally:
        for client in senders:
            await client.close()
        for observer in observers:
            await observer.stop()
        await stop_all(bot, hs)


async def plan_meetings(organiser: Observer) -> None:
    """Two meetings, planned by an admin through the bot, for `!meetings` to list."""
    soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
    for days, title in ((0, "Coordination call"), (1, "Readings circle")):
        when = soon + timedelta(days=days)
        text = f'!meeting add title="{title}" when="{when:%Y-%m-%d %H:%M}" tz=UTC'
        await organiser.ask(text)


def commands(people: int, bursts: int, rng: random.Random) -> list[list[str]]:
    """For each burst, one command per person, in the person's order."""
    groups = [rng.choice(GROUPS) for _ in range(people)]
    joined = [False] * people
    plan = []
    for burst in range(bursts):
        row = []
        for person in range(people):
            slot = CYCLE[(burst + person) % len(CYCLE)]
            if slot == "join/leave":
                verb = "!leave" if joined[person] else "!join"
                joined[person] = not joined[person]
                slot = f"{verb} {groups[person]}"
            row.append(slot)
        plan.append(row)
    return plan


def merged(observers: list[Observer]) -> Counter[str]:
    """Every observer's reply counts together."""
    total: Counter[str] = Counter()
    for observer in observers:
        total.update(observer.replies)
    return total


async def drain(observers: list[Observer], sent: dict[str, str], timeout: float) -> None:
    """Until every command has a reply, or `timeout` seconds without progress."""
    deadline = time.perf_counter() + timeout
    answered = 0
    while True:
        replies = merged(observers)
        now_answered = sum(1 for event_id in sent if replies[event_id])
        if now_answered == len(sent):
            return
        if now_answered > answered:
            answered, deadline = now_answered, time.perf_counter() + timeout
        if time.perf_counter() > deadline:
            return
        await asyncio.sleep(0.05)


def report_storm(result: StormResult, args: argparse.Namespace) -> None:
    """Exactly once / missing / duplicated per kind; drain time; the bot's RSS and CPU."""
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for event_id, body in result.sent.items():
        count = result.replies[event_id]
        outcome = "once" if count == 1 else "missing" if count == 0 else "duplicated"
        by_kind[kind_of(body)][outcome] += 1
        by_kind["all"][outcome] += 1
    rows = [
        [kind, sum(c.values()), c["once"], c["missing"], c["duplicated"]]
        for kind, c in sorted(by_kind.items(), key=lambda item: (item[0] == "all", item[0]))
    ]
    print(f"\nstorm: {len(result.sent)} commands from {args.users} people in {args.rooms} rooms")
    print(table(["command", "sent", "answered once", "missing", "duplicated"], rows))
    print(f"replies to anything else: {result.unrelated_replies}")
    total = len(result.sent)
    waits = percentiles([w * 1000 for w in result.waits])
    print(
        "\nwait per command, burst sent → reply seen (ms): "
        + ", ".join(f"{k} {v:,.0f}" for k, v in waits.items())
    )
    print()
    print(
        table(
            ["figure", "value"],
            [
                ["sending the bursts", f"{result.send_s:.1f} s"],
                ["drain (first command sent → last reply seen)", f"{result.drain_s:.1f} s"],
                ["… of which after the last burst was sent", f"{result.after_last_burst_s:.1f} s"],
                ["answered per second over the drain", f"{total / result.drain_s:.0f}"],
                ["bot CPU, first command → drained", f"{result.bot_cpu_s:.1f} s"],
                ["bot CPU per command", f"{result.bot_cpu_s / total * 1000:.1f} ms"],
                ["Synapse CPU, same span (for comparison)", f"{result.synapse_cpu_s:.1f} s"],
                ["bot RSS before the storm", f"{result.bot_rss_before_mb:.0f} MB"],
                ["bot peak RSS", f"{result.bot_peak_rss_mb:.0f} MB"],
            ],
        )
    )


# ----------------------------------------------------------------------------------------------
# Part 2: dispatch + storage in-process.


def mixed(count: int, people: int, rng: random.Random) -> list[tuple[str, str]]:
    """(sender, text) pairs in the storm's mix; each person's join/leave alternate."""
    groups = [rng.choice(GROUPS) for _ in range(people)]
    joined = [False] * people
    out = []
    for index in range(count):
        person = index % people
        slot = CYCLE[(index // people + person) % len(CYCLE)]
        if slot == "join/leave":
            verb = "!leave" if joined[person] else "!join"
            joined[person] = not joined[person]
            slot = f"{verb} {groups[person]}"
        out.append((f"@person-{person}:localhost", slot))
    return out


async def throughput(
    folder: Path, count: int, batch: int, people: int, seed: int, *, with_ledger: bool
) -> tuple[float, Counter[str], int]:
    """Commands per second; replies per kind; commands that got no reply."""
    config = make_config(folder, admins=["@admin:localhost"])
    answered: Counter[str] = Counter()
    unanswered = 0
    ids = itertools.count(1)
    async with ChatHarness(config) as harness:
        app = harness.app
        soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
        for days, title in ((0, "Coordination call"), (1, "Readings circle")):
            when = soon + timedelta(days=days)
            text = f'!meeting add title="{title}" when="{when:%Y-%m-%d %H:%M}" tz=UTC'
            await harness.send(text, sender="@admin:localhost")
        ledger = EventLedger(app.db, app.clock)
        work = mixed(count, people, random.Random(seed))
        rooms = [RoomId(f"!room-{n}:localhost") for n in range(20)]

        def message(sender: str, text: str, room: RoomId) -> Message:
            return Message(
                room_id=room,
                sender=UserId(sender),
                body=text,
                event_id=EventId(f"$bench-{next(ids)}"),
                timestamp=datetime.now(UTC),
            )

        async def one(message: Message) -> int:
            if not with_ledger:
                return len(await app.process(message))
            # What the runner adds per command: the Matrix content and the ledger entry.
            outgoing = await app.handle(message)
            for out in outgoing:
                message_content(out.reply)
                await app.transport.send(out)
            await ledger.finish(message)
            return len(outgoing)

        started = time.perf_counter()
        for start in range(0, len(work), batch):
            chunk = work[start : start + batch]
            messages = [message(s, t, rooms[i % len(rooms)]) for i, (s, t) in enumerate(chunk)]
            if with_ledger:  # one sync batch: the inbox and the token in one transaction
                await ledger.accept(messages, f"token-{start}")
            counts = await asyncio.gather(*(one(m) for m in messages))
            for (_, text), n in zip(chunk, counts, strict=True):
                if n:
                    answered[kind_of(text)] += 1
                else:
                    unanswered += 1
        elapsed = time.perf_counter() - started
    return count / elapsed, answered, unanswered


async def in_process(args: argparse.Namespace, folder: Path) -> None:
    """Both variants of the in-process throughput, a fresh database each."""
    rows = []
    for name, with_ledger in (
        ("dispatch + storage (App.process, in-memory transport)", False),
        ("… + the runner's inbox ledger and Matrix content (all but the network)", True),
    ):
        sub = folder / ("ledger" if with_ledger else "app")
        sub.mkdir()
        rate, answered, unanswered = await throughput(
            sub, args.commands, args.batch, args.people, args.seed, with_ledger=with_ledger
        )
        rows.append([name, args.commands, unanswered, f"{rate:,.0f}"])
        print(f"  {name}: {rate:,.0f} commands/s ({dict(answered)})", flush=True)
    print(
        f"\nin-process throughput: {args.commands} mixed commands from {args.people} people,"
        f" asyncio.gather in batches of {args.batch}"
    )
    print(table(["what runs", "commands", "unanswered", "commands/s"], rows))


def main() -> None:
    """Parse the options; run both parts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100, help="people sending commands")
    parser.add_argument("--rooms", type=int, default=20, help="rooms they are spread over")
    parser.add_argument("--bursts", type=int, default=10, help="bursts (one command each)")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between bursts")
    parser.add_argument("--timeout", type=float, default=120, help="give up after s idle")
    parser.add_argument("--commands", type=int, default=20_000, help="in-process commands")
    parser.add_argument("--people", type=int, default=500, help="in-process senders")
    parser.add_argument("--batch", type=int, default=100, help="in-process gather batch")
    parser.add_argument("--seed", type=int, default=1, help="seed of the command mix")
    parser.add_argument("--skip-storm", action="store_true", help="only the in-process part")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print(f"storm: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="natm-storm-") as folder:
        if not args.skip_storm:
            result = asyncio.run(storm(args, Path(folder) / "storm"))
            report_storm(result, args)
        (Path(folder) / "inproc").mkdir()
        asyncio.run(in_process(args, Path(folder) / "inproc"))


if __name__ == "__main__":
    main()
