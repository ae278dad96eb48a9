"""How long counting a poll takes: 10,000 votes among 1,000 voters.

Builds, from a seeded random generator, the ballots of one poll of each kind: 1,000 voters
(900 in the electorate, 100 outsiders) casting 10,000 votes between them, changes of mind,
withdrawals, invalid votes and a tenth after the close included, many at the same instant.
Times `counted` (whose vote counts) and `tally` (the whole outcome, which counts again), and
for the time poll `tally_time` (with the ranking in each voter's zone). Prints
min/median/max in milliseconds over several runs; the figure the issue asks for is the
tally row: "well under 100 ms".

    .venv/bin/python bench/polls_counting.py [--votes 10000] [--voters 1000] [--runs 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, table
from natm_bot.features.polls.counting import (
    Ballot,
    Kind,
    Quorum,
    Rules,
    counted,
    tally,
    tally_time,
)

CLOSE = datetime(2027, 3, 28, 17, 0, tzinfo=UTC)
ZONES = ["America/Bogota", "UTC", "Africa/Lagos", "Asia/Kolkata", "Asia/Singapore"]


def rules_of(kind: Kind) -> Rules:
    """One poll of `kind`, with a half quorum and, but for a time poll, a 2/3 threshold."""
    options = {Kind.PROPOSAL: 4, Kind.CHOICE: 5, Kind.MULTIPLE: 8, Kind.TIME: 12}[kind]
    return Rules(
        kind,
        options,
        max_choices=3 if kind is Kind.MULTIPLE else 1,
        quorum=Quorum(share=Fraction(1, 2)),
        threshold=None if kind is Kind.TIME else Fraction(2, 3),
        closes_at=CLOSE,
    )


def ballots_for(rules: Rules, votes: int, voters: int, rng: random.Random) -> list[Ballot]:
    """`votes` ballots by `voters` people, in no particular order."""
    cast = []
    for n in range(votes):
        roll = rng.random()
        size = rng.randint(1, min(rules.most_choices, 4))
        choices = tuple(rng.sample(range(rules.options), size))
        if roll < 0.03:
            choices = ()  # a withdrawal
        elif roll < 0.06:
            choices = (rules.options,)  # out of range: ignored
        at = CLOSE - timedelta(seconds=rng.randint(-3600, 86400 * 7))  # ~1 in 10 late
        voter = f"@v{rng.randrange(voters)}:example.org"
        cast.append(Ballot(voter, voter, choices, at, f"$e{n % 997}", "a reason"))
    return cast


def timed(work: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds each of `runs` runs of `work` took."""
    took = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        took.append((time.perf_counter() - began) * 1000)
    return took


def rows(votes: int, voters: int, runs: int, seed: int) -> list[list[object]]:
    """One row per kind and function: min, median and max milliseconds."""
    rng = random.Random(seed)
    electorate = frozenset(f"@v{n}:example.org" for n in range(voters * 9 // 10))
    zones = {voter: ZoneInfo(rng.choice(ZONES)) for voter in electorate}
    found: list[list[object]] = []
    for kind in Kind:
        rules = rules_of(kind)
        ballots = ballots_for(rules, votes, voters, rng)
        starts = [CLOSE + timedelta(days=1, hours=5 * n) for n in range(rules.options)]
        work: dict[str, Callable[[], object]] = {
            "counted": partial(counted, rules, ballots, electorate),
            "tally": partial(tally, rules, ballots, electorate),
        }
        if kind is Kind.TIME:
            work["tally_time"] = partial(tally_time, rules, ballots, electorate, starts, zones)
        for name, job in work.items():
            took = timed(job, runs)
            figures = [min(took), statistics.median(took), max(took)]
            found.append([f"{name}, {kind.value}", *(f"{f:.1f}" for f in figures)])
    return found


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--votes", type=int, default=10_000)
    parser.add_argument("--voters", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    print(machine())
    print(f"{args.votes} votes among {args.voters} voters, {args.runs} runs each")
    header = ["work", "min ms", "median ms", "max ms"]
    print(table(header, rows(args.votes, args.voters, args.runs, args.seed)))


if __name__ == "__main__":
    main()
