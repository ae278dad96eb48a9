"""How long `!poll N` takes with 1,000 votes cast: the whole answer, through the real bot.

Starts the bot on the in-memory chat harness (the real App and its SQLite database on disk),
opens a `choice` poll in a room of 1,000 members, lets each of them vote (a quarter change
their mind once, so 1,250 votes are kept), then asks `!poll 1` repeatedly and prints
min/median/max in milliseconds: reading the poll, its electorate and every vote, counting,
and writing the card. The figure the issue asks for: "well under 100 ms".

    .venv/bin/python bench/polls_card.py [--voters 1000] [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, table
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config

ADMIN = "@admin:localhost"
START = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


async def measure(voters: int, runs: int) -> list[float]:
    """Milliseconds of each `!poll 1`, after `voters` people voted."""
    with tempfile.TemporaryDirectory() as folder:
        config = make_config(Path(folder), admins=[ADMIN])
        async with ChatHarness(config, ManualClock(START)) as bot:
            people = [f"@voter{n}:localhost" for n in range(voters)]
            bot.transport.add_members(RoomId(LOBBY), ADMIN, *people)
            await bot.send(
                '!poll add kind=choice question="Next campaign?" '
                'options="Data centres; Public interest AI; Digital ID; Surveillance" '
                'closes="2027-02-01 18:00" tz=UTC',
                sender=ADMIN,
            )
            for n, person in enumerate(people):
                await bot.send(f"!vote 1 {n % 4 + 1}", sender=person)
                if n % 4 == 0:
                    await bot.send(f"!vote 1 {(n + 1) % 4 + 1}", sender=person)
            timings = []
            for _ in range(runs):
                began = time.perf_counter()
                await bot.send("!poll 1", sender=ADMIN)
                timings.append((time.perf_counter() - began) * 1000)
            return timings


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    timings = asyncio.run(measure(args.voters, args.runs))
    print(machine())
    print(
        table(
            ["work", "min ms", "median ms", "max ms"],
            [
                [
                    f"!poll 1 with {args.voters} voters",
                    f"{min(timings):.1f}",
                    f"{statistics.median(timings):.1f}",
                    f"{max(timings):.1f}",
                ]
            ],
        )
    )


if __name__ == "__main__":
    main()
