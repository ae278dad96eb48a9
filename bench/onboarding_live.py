"""200 people joining a room that welcomes newcomers within a minute, on a real Synapse with
its rate limits in force: the real bot as a process, the direct messages and greetings
counted on the homeserver itself (its admin API), not by the bot.

Synapse keeps its default rate limits, except for joins: a crowd arriving at once comes
through a bridge, whose puppets an appservice exempts. The bot is either exempted as the
README advises (`--bot exempt`: the admin API's override_ratelimit) or left under the defaults
(`--bot limited`), where a new direct chat costs a room creation (Synapse: 10 at once, then one
a minute), so the run stops at `--timeout` and prints the pace reached.

Prints the direct messages per person (one each, none twice), the delay from each join to its
message (the homeserver's timestamps), and the public greetings in the room with the gaps
between them (at least 10 minutes).

    .venv/bin/python bench/onboarding_live.py                      # --people 200 --bot exempt
    .venv/bin/python bench/onboarding_live.py --people 30 --bot limited --timeout 600
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import secrets
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, percentiles, stop_all, table
from natm_bot.testing.devserver import LocalSynapse
from tests.integration.people import BotProcess

FREE = {"per_second": 100000, "burst_count": 100000}
# Default limits everywhere but joins (a bridge's puppets are exempt), registration and login
# (the bench's own setup), and cheap password hashing for the crowd's accounts.
SERVER = {
    "rc_joins": {"local": FREE, "remote": FREE},
    "rc_joins_per_room": FREE,
    "rc_registration": FREE,
    "rc_login": {"address": FREE, "account": FREE, "failed_attempts": FREE},
    "bcrypt_rounds": 4,
}
GREETING_GAP_S = 600


def q(value: str) -> str:
    """A path segment."""
    return urllib.parse.quote(value, safe="")


class Server:
    """The homeserver, asked as its admin."""

    def __init__(self, hs: LocalSynapse) -> None:
        self.hs = hs
        self.token = hs.admin_token()

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One admin API call."""
        return self.hs.admin_request(method, path, self.token, body)

    def messages(self, room: str) -> list[dict[str, Any]]:
        """Every event of a room, oldest first."""
        events: list[dict[str, Any]] = []
        token = ""
        while True:
            page = self.admin(
                "GET", f"/_synapse/admin/v1/rooms/{q(room)}/messages?dir=f&limit=500{token}"
            )
            events += page.get("chunk", [])
            if not page.get("end") or not page.get("chunk"):
                return events
            token = f"&from={q(page['end'])}"

    def direct_chats(self, bot: str, lobby: str) -> dict[str, list[str]]:
        """The rooms the bot made, by the person invited into each."""
        rooms = self.admin("GET", "/_synapse/admin/v1/rooms?limit=5000")["rooms"]
        found: dict[str, list[str]] = {}
        for room in rooms:
            if room.get("creator") != bot or room["room_id"] == lobby:
                continue
            state = self.admin("GET", f"/_synapse/admin/v1/rooms/{q(room['room_id'])}/state")
            for event in state["state"]:
                if event["type"] == "m.room.member" and event["state_key"] != bot:
                    found.setdefault(event["state_key"], []).append(room["room_id"])
        return found


def bot_messages(events: list[dict[str, Any]], bot: str) -> list[dict[str, Any]]:
    """The messages the bot sent (encrypted or not)."""
    kinds = ("m.room.message", "m.room.encrypted")
    return [e for e in events if e["sender"] == bot and e["type"] in kinds]


async def crowd(hs: LocalSynapse, people: int) -> list[tuple[str, str]]:
    """`people` accounts, each logged in once: (mxid, access token)."""
    made = []
    for n in range(people):
        localpart, password = f"p{n}-{secrets.token_hex(3)}", secrets.token_urlsafe(12)
        mxid = await hs.aregister_user(localpart, password)
        token, _ = await hs.alogin_token(localpart, password)
        made.append((mxid, token))
    return made


async def join_within(
    hs: LocalSynapse, room: str, people: list[tuple[str, str]], span: float
) -> float:
    """Every person joins the room, spread evenly over `span` seconds."""
    gap = span / max(1, len(people))
    started = time.monotonic()
    for n, (_, token) in enumerate(people):
        delay = started + n * gap - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await asyncio.to_thread(
            hs.admin_request, "POST", f"/_matrix/client/v3/rooms/{q(room)}/join", token, {}
        )
    return time.monotonic() - started


async def lobby_with_bot(hs: LocalSynapse, coord: str, token: str, bot: str) -> str:
    """A public room made by the coordinator, the bot invited with power 100."""
    body: dict[str, Any] = {
        "preset": "public_chat",
        "name": "lobby",
        "room_version": "10",
        "invite": [bot],
        "power_level_content_override": {"users": {coord: 100, bot: 100}},
    }
    return str(hs.admin_request("POST", "/_matrix/client/v3/createRoom", token, body)["room_id"])


async def wait_joined(server: Server, room: str, user: str, timeout: float = 60) -> None:
    """Until the user is a joined member of the room."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        members = server.admin("GET", f"/_synapse/admin/v1/rooms/{q(room)}/members")
        if user in members.get("members", []):
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{user} did not join {room}")


async def measure(args: argparse.Namespace, folder: Path) -> None:
    """Start everything, bring the crowd, count, print."""
    hs = LocalSynapse(folder / "synapse", rate_limits=True, extra_config=SERVER)
    await asyncio.to_thread(hs.start)
    bot: BotProcess | None = None
    try:
        server = Server(hs)
        bot_password = secrets.token_urlsafe(12)
        bot_id = await hs.aregister_user(f"natm-bot-{secrets.token_hex(3)}", bot_password)
        coord_password = secrets.token_urlsafe(12)
        coord_local = f"coord-{secrets.token_hex(3)}"
        coord = await hs.aregister_user(coord_local, coord_password)
        coord_token, _ = await hs.alogin_token(coord_local, coord_password)
        if args.bot == "exempt":
            server.admin(
                "POST",
                f"/_synapse/admin/v1/users/{q(bot_id)}/override_ratelimit",
                {"messages_per_second": 0, "burst_count": 0},
            )
        lobby = await lobby_with_bot(hs, coord, coord_token, bot_id)
        bot = BotProcess(
            folder / "bot",
            hs,
            bot_id,
            admins=(coord,),
            sections={"onboarding": {"rooms": [lobby]}},
            invites={"allowed_servers": [hs.server_name]},
        )
        await asyncio.to_thread(bot.login, bot_password)
        await bot.start()
        await wait_joined(server, lobby, bot_id)
        print(f"registering {args.people} people…", flush=True)
        people = await crowd(hs, args.people)
        print(f"{args.people} people join within {args.span:.0f} s…", flush=True)
        started = time.monotonic()
        took = await join_within(hs, lobby, people, args.span)
        print(f"joined in {took:.1f} s; waiting for the direct messages…", flush=True)
        chats = await wait_for_messages(server, bot_id, lobby, args, started)
        await wait_for_greetings(server, lobby, bot_id, args, started)
        report(server, lobby, bot_id, [p for p, _ in people], chats)
    finally:
        await stop_all(bot, hs)


async def wait_for_messages(
    server: Server, bot: str, lobby: str, args: argparse.Namespace, started: float
) -> dict[str, list[str]]:
    """Until the bot has opened a direct chat per person (one cheap query every 10 s), or
    the timeout; then the chats by person."""
    while True:
        rooms = server.admin("GET", "/_synapse/admin/v1/rooms?limit=5000")["rooms"]
        made = sum(1 for r in rooms if r.get("creator") == bot and r["room_id"] != lobby)
        elapsed = time.monotonic() - started
        print(f"  {elapsed:6.0f} s: {made} direct chats opened", flush=True)
        if made >= args.people or elapsed > args.timeout:
            await asyncio.sleep(5)  # the last message follows its room
            return server.direct_chats(bot, lobby)
        await asyncio.sleep(10)


async def wait_for_greetings(
    server: Server, lobby: str, bot: str, args: argparse.Namespace, started: float
) -> None:
    """Long enough for the second greeting (the first comes with the first join)."""
    remaining = args.settle - (time.monotonic() - started)
    print(f"waiting {max(0, remaining):.0f} s more for the next greeting…", flush=True)
    await asyncio.sleep(max(0, remaining))


def report(
    server: Server, lobby: str, bot: str, people: list[str], chats: dict[str, list[str]]
) -> None:
    """The figures."""
    lobby_events = server.messages(lobby)
    joined_at = {
        e["state_key"]: e["origin_server_ts"]
        for e in lobby_events
        if e["type"] == "m.room.member" and e["content"].get("membership") == "join"
    }
    per_person: Counter[str] = Counter()
    delays = []
    first_ts = min(joined_at[p] for p in people if p in joined_at)
    last_message = first_ts
    for person in people:
        messages = [
            m for r in chats.get(person, []) for m in bot_messages(server.messages(r), bot)
        ]
        per_person[person] = len(messages)
        if messages:
            sent = min(m["origin_server_ts"] for m in messages)
            delays.append((sent - joined_at[person]) / 1000)
            last_message = max(last_message, sent)
    greetings = [e["origin_server_ts"] for e in bot_messages(lobby_events, bot)]
    gaps = [(b - a) / 1000 for a, b in itertools.pairwise(greetings)]
    counts = Counter(per_person.values())
    rows: list[list[object]] = [
        ["people who joined", len(people)],
        ["direct chats opened", sum(len(r) for r in chats.values())],
        ["people with exactly one message", counts.get(1, 0)],
        ["people with none", counts.get(0, 0)],
        ["people with more than one", sum(v for k, v in counts.items() if k > 1)],
        ["first join → last message, s", f"{(last_message - first_ts) / 1000:.1f}"],
        ["public greetings in the room", len(greetings)],
        ["shortest gap between greetings, s", f"{min(gaps):.0f}" if gaps else "–"],
    ]
    print(f"\nonboarding_live: {machine()}")
    print(table(["what", "count"], rows))
    if delays:
        spread = percentiles(delays)
        print("\njoin → its direct message, s (homeserver timestamps):")
        print(table(list(spread), [[f"{v:.1f}" for v in spread.values()]]))
        minutes = max(1e-9, (last_message - first_ts) / 60000)
        print(f"\npace: {len(delays) / minutes:.1f} direct messages a minute")


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--span", type=float, default=60.0, help="seconds the joins spread over")
    parser.add_argument("--bot", choices=("exempt", "limited"), default="exempt")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--settle",
        type=float,
        default=GREETING_GAP_S + 60,
        help="seconds before counting greetings",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(measure(args, Path(folder)))


if __name__ == "__main__":
    main()
