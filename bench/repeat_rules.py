"""How long checking a repeat rule and answering `!meeting add` take, whatever is typed.

The tests prove that every rule is refused clearly or kept at most daily
(tests/unit/test_repeat_rules.py, tests/commands/test_meeting_add_property.py); this script
times the same work with generated rules, hostile and plausible alike (the same shapes as the
tests' strategies, from a seeded random generator): parsing and checking a rule, the next 100
dates of a kept one, and the whole answer to `!meeting add` through the in-memory chat
harness (parsing, checking, storing and rendering the reply). Prints p50/p95/p99/max in
milliseconds; the budgets the tests used to assert are printed beside them.

    .venv/bin/python bench/repeat_rules.py [--rules 2000] [--commands 300] [--seed 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, percentiles, table
from natm_bot.calendar.recurrence import Schedule, check_schedule, parse_repeat
from natm_bot.calendar.timeutil import to_utc
from natm_bot.core.errors import UsageError
from natm_bot.testing.harness import ChatHarness, make_config

BERLIN = "Europe/Berlin"
ADMIN = "@admin:localhost"
START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU", "+1TU", "-1FR", "+5MO", "2WE", "XX"]
FREQS = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY", "SECONDLY", "NEVER"]
WORDS = ["daily", "weekly", "monthly", "first tuesday", "last fri", "every 3 weeks", "none"]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati"]


def _part(rng: random.Random) -> str:
    number = rng.choice([rng.randint(-3, 400), rng.randint(1, 12), 10**20, 0])
    kind = rng.randrange(10)
    if kind < 6:
        name = ["INTERVAL", "COUNT", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "BYHOUR"][kind]
        return f"{name}={number}"
    if kind < 8:
        return "BYDAY=" + ",".join(rng.sample(DAYS, rng.randint(1, 3)))
    if kind == 8:
        return f"UNTIL={rng.randint(1900, 2300):04d}{rng.randint(1, 12):02d}28"
    return rng.choice(["WKST=SU", "BYWEEKNO=1", "BYYEARDAY=1"])


def rule(rng: random.Random) -> str:
    """A repeat as an organiser might type it, or as anyone could."""
    roll = rng.random()
    if roll < 0.2:
        return rng.choice(WORDS)
    if roll < 0.3:
        return "".join(
            rng.choice("FREQ=;,DAILYMO+-0123456789 ") for _ in range(rng.randint(0, 40))
        )
    parts = [_part(rng) for _ in range(rng.randint(0, 4))]
    return ";".join([f"FREQ={rng.choice(FREQS)}", *parts])


def _ms(work: Callable[[], object]) -> tuple[float, object]:
    began = time.perf_counter()
    try:
        result: object = work()
    except UsageError as refused:
        result = refused
    return (time.perf_counter() - began) * 1000, result


def time_rules(count: int, rng: random.Random) -> list[list[object]]:
    """Check `count` generated rules; time the checks and the next 100 dates of kept ones."""
    checks: list[float] = []
    nexts: list[float] = []
    kept = 0
    for _ in range(count):
        start = datetime(2027, 1, 1, rng.randint(0, 23)) + timedelta(days=rng.randint(0, 1825))
        text = rule(rng)

        def check(text: str = text, start: datetime = start) -> object:
            parsed = parse_repeat(text)
            check_schedule(start, BERLIN, parsed, not_before=datetime(2027, 1, 1))
            return parsed

        took, parsed = _ms(check)
        checks.append(took)
        if isinstance(parsed, UsageError):
            continue
        kept += 1
        since = to_utc(start, ZoneInfo(BERLIN)) - timedelta(hours=1)
        schedule = Schedule(start, BERLIN, parsed)  # type: ignore[arg-type]
        took, _ = _ms(partial(schedule.next_after, since, 100))
        nexts.append(took)
    return [
        _row(f"parse + check a rule ({count}, {count - kept} refused)", checks, 500),
        _row(f"next 100 dates of a kept rule ({kept})", nexts, 100),
    ]


def _row(what: str, values: list[float], budget_ms: float) -> list[object]:
    p = percentiles(values)
    over = sum(v > budget_ms for v in values)
    figures = [f"{p[k]:.2f}" for k in ("p50", "p95", "p99", "max")]
    return [what, *figures, f"{budget_ms:g}", over]


async def time_commands(count: int, rng: random.Random) -> list[list[object]]:
    """Type `count` generated `!meeting add` commands into one bot, a fresh one each time."""
    answers: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        async with ChatHarness(make_config(Path(folder), admins=[ADMIN])) as bot:
            for _ in range(count):
                await bot.reset(at=START)
                when = START + timedelta(days=rng.randint(-10, 2000), minutes=rng.randint(0, 1440))
                text = (
                    f'!meeting add title=x tz={rng.choice(ZONES)} when="{when:%Y-%m-%d %H:%M}"'
                    f' repeat="{rule(rng)}"'
                )
                began = time.perf_counter()
                await bot.send(text, sender=ADMIN)
                answers.append((time.perf_counter() - began) * 1000)
    return [_row(f"answer to !meeting add ({count})", answers, 1000)]


async def run(rules: int, commands: int, seed: int) -> None:
    """Time everything and print the table."""
    rng = random.Random(seed)
    rows = time_rules(rules, rng) + await time_commands(commands, rng)
    print(machine())
    header = ["work", "p50 ms", "p95 ms", "p99 ms", "max ms", "budget ms", "over budget"]
    print(table(header, rows))


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rules", type=int, default=2000)
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.rules, args.commands, args.seed))


if __name__ == "__main__":
    main()
