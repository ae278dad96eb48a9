"""A bridge bringing a crowd at once: 200 joins within a minute into two rooms that welcome
newcomers, through the real bot on the in-memory chat harness (its SQLite database on disk).

Each person joins once (spread over 60 s of the harness clock, a tenth of them joining the
other room too, as a bridge may); the clock then runs on for half an hour. Prints the direct
messages sent, how many people got more than one (must be 0), the public greetings per room
and the 10-minute windows they fall in, and how long handling the joins took.

    .venv/bin/python bench/onboarding_burst.py [--people 200]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, table
from natm_bot.config.onboarding import OnboardingSection
from natm_bot.core.clock import ManualClock
from natm_bot.testing.harness import ChatHarness, make_config

ROOMS = ("!lobby:localhost", "!hall:localhost")
START = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


async def burst(people: int) -> tuple[Counter[str], dict[str, list[datetime]], float]:
    """Direct messages per person, greeting times per room, and seconds spent on joins."""
    with tempfile.TemporaryDirectory() as folder:
        config = make_config(Path(folder))
        config = config.model_copy(update={"onboarding": OnboardingSection(rooms=list(ROOMS))})
        async with ChatHarness(config, ManualClock(START)) as bot:
            dms: Counter[str] = Counter()
            greetings: dict[str, list[datetime]] = {room: [] for room in ROOMS}
            spent = 0.0
            for n in range(people):
                user = f"@person{n}:localhost"
                rooms = ROOMS if n % 10 == 0 else ROOMS[n % 2 : n % 2 + 1]
                for room in rooms:
                    began = time.perf_counter()
                    seen = await bot.member(user, "join", room=room)
                    spent += time.perf_counter() - began
                    dm = await bot.transport.direct_room(user)  # type: ignore[arg-type]
                    dms[user] += sum(1 for s in seen if s.room_id == dm)
                for s in await bot.advance(seconds=60 / people):
                    greetings.setdefault(s.room_id, []).append(s.at or START)
            for s in await bot.advance(minutes=30):
                greetings.setdefault(s.room_id, []).append(s.at or START)
            return dms, greetings, spent


def main() -> None:
    """Run the burst and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    args = parser.parse_args()
    dms, greetings, spent = asyncio.run(burst(args.people))
    print(machine())
    print(
        f"{args.people} people joined; direct messages sent: {sum(dms.values())}; "
        f"people welcomed more than once: {sum(1 for c in dms.values() if c > 1)}; "
        f"people not welcomed: {args.people - len([c for c in dms.values() if c])}"
    )
    rows = []
    for room, times in greetings.items():
        windows = Counter(int((t - START).total_seconds() // 600) for t in times)
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        rows.append(
            (
                room,
                len(times),
                max(windows.values(), default=0),
                f"{min(gaps):.0f} s" if gaps else "-",
            )
        )
    print(table(("room", "greetings", "most in one 10-minute window", "shortest gap"), rows))
    print(
        f"handling the joins: {spent * 1000:.0f} ms in all, "
        f"{spent * 1000 / max(1, args.people):.2f} ms per person"
    )


if __name__ == "__main__":
    main()
