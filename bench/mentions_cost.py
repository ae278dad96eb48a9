"""What a notice's content costs Synapse: the same short reply with and without `m.mentions`,
HTML and a longer body, sent by one person and received by another in one plain room.

Two people (the integration tests' syncing nio clients) share one plain room of a throwaway
local Synapse. Round by round, in a shuffled order, the sender sends each kind of notice;
timed are the sender's `room_send` (the homeserver's answer) and the time until the other
person's client runs its event callback for it. Everything goes through one room, so the
room's history weighs the same on every kind.

    .venv/bin/python bench/mentions_cost.py [--rounds 150] [--warmup 10] [--gap 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nio import MatrixRoom, RoomMessageNotice, RoomSendResponse

from bench.common import machine, percentiles, table
from natm_bot.testing.devserver import LocalSynapse
from tests.integration.people import Person

BODY = (
    "Principle 1 of 5: Data extraction is illegitimate. There is nothing normal about using"
    " data to control us or sell our lives back to us."
)
HTML = (
    "<p><strong>Principle 1 of 5: Data extraction is illegitimate.</strong> There is nothing"
    " normal about using data to control us or sell our lives back to us.</p>"
)
NOTICE = {"msgtype": "m.notice"}
KINDS: dict[str, dict[str, Any]] = {
    "pong": {**NOTICE, "body": "pong"},
    "pong + empty m.mentions": {**NOTICE, "body": "pong", "m.mentions": {}},
    "principle 1, body only": {**NOTICE, "body": BODY},
    "principle 1, body + HTML": {
        **NOTICE,
        "body": BODY,
        "format": "org.matrix.custom.html",
        "formatted_body": HTML,
    },
    "principle 1, body + HTML + empty m.mentions": {
        **NOTICE,
        "body": BODY,
        "format": "org.matrix.custom.html",
        "formatted_body": HTML,
        "m.mentions": {},
    },
}


class Receiver:
    """When each notice reached the receiving person's client."""

    def __init__(self, person: Person) -> None:
        self.arrived: dict[str, float] = {}
        self._waiting: dict[str, asyncio.Future[None]] = {}
        person.client.add_event_callback(self._on_notice, RoomMessageNotice)

    async def _on_notice(self, room: MatrixRoom, event: RoomMessageNotice) -> None:
        self.arrived[event.event_id] = time.perf_counter()
        future = self._waiting.pop(event.event_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def seen(self, event_id: str) -> float:
        """When the event arrived (waiting for it, at most 30 s)."""
        if event_id not in self.arrived:
            future = asyncio.get_running_loop().create_future()
            self._waiting[event_id] = future
            await asyncio.wait_for(future, 30)
        return self.arrived[event_id]


async def measure(args: argparse.Namespace, folder: Path) -> None:
    """Start Synapse and two people, send every kind round by round, print the figures."""
    hs = LocalSynapse(folder / "synapse")
    await asyncio.to_thread(hs.start)
    people: list[Person] = []
    try:
        for name in ("sender", "receiver"):
            password = secrets.token_urlsafe(12)
            mxid = await hs.aregister_user(f"{name}-{secrets.token_hex(3)}", password)
            people.append(await Person(hs, mxid, password, folder / name).start())
        sender, receiver = people
        room = await sender.create_room([receiver.mxid], name="notices")
        await receiver.client.join(room)
        await sender.wait_joined(room, receiver.mxid)
        watch = Receiver(receiver)
        sends: dict[str, list[float]] = {kind: [] for kind in KINDS}
        seen: dict[str, list[float]] = {kind: [] for kind in KINDS}
        order = list(KINDS)
        rng = random.Random(args.seed)
        for number in range(args.warmup + args.rounds):
            rng.shuffle(order)
            for kind in order:
                started = time.perf_counter()
                response = await sender.client.room_send(room, "m.room.message", KINDS[kind])
                answered = time.perf_counter()
                if not isinstance(response, RoomSendResponse):
                    raise RuntimeError(f"could not send {kind}: {response}")
                arrived = await watch.seen(response.event_id)
                if number >= args.warmup:
                    sends[kind].append((answered - started) * 1000)
                    seen[kind].append((arrived - started) * 1000)
                await asyncio.sleep(args.gap)
        rows = []
        for kind in KINDS:
            send, total = percentiles(sends[kind]), percentiles(seen[kind])
            cells = (send["p50"], total["p50"], total["p95"])
            rows.append([kind, len(sends[kind]), *(f"{c:.1f}" for c in cells)])
        print("\nms, p50 unless named (send: the homeserver's answer; seen: at the receiver)")
        print(table(["notice", "n", "send", "seen", "seen p95"], rows))
    finally:
        for person in people:
            await person.stop()
        await asyncio.to_thread(hs.stop)


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=150, help="measured rounds")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured rounds first")
    parser.add_argument("--gap", type=float, default=0.05, help="pause after each, seconds")
    parser.add_argument("--seed", type=int, default=1, help="seed of the shuffled order")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print(f"mentions_cost: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="natm-mentions-") as folder:
        asyncio.run(measure(args, Path(folder)))


if __name__ == "__main__":
    main()
