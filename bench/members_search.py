"""How fast the members directory answers over 10,000 organisations, inside the app.

Builds a temporary database with generated organisations through the real service and
storage (one import, as `natm-bot import members` does), then types each kind of query into
the real dispatcher through the in-memory chat harness and times the whole answer: parsing,
the SQL, and rendering the reply to plain text and HTML. Prints p50/p95/p99/max per kind.

    .venv/bin/python bench/members_search.py [--orgs 10000] [--runs 200] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from natm_bot.testing.harness import ChatHarness, make_config


def _words(text: str) -> list[str]:
    return text.split()


ADJECTIVES = _words(
    "Free Open Community Digital Rural Urban Southern Northern People's Autonomous Public "
    "Independent Cooperative Radical Common Local Regional Federated Solidarity Indigenous "
    "Feminist Popular Critical Sovereign Shared Collective Green Libre"
)
NOUNS = _words(
    "Network Radio Lab Institute School University Collective Association Council Foundation "
    "Alliance Cooperative Library Observatory Centre Forum Commons Union Hub Archive Academy "
    "Workshop Studio Assembly Movement Circle Project Initiative Society Platform"
)
PLACES = _words(
    "Nairobi Lagos Accra Dakar Kampala Bogotá Lima Quito Recife Oaxaca Manila Jakarta Dhaka "
    "Kathmandu Colombo Karachi Tunis Beirut Amman Cairo Valparaíso Montevideo Asunción Cusco "
    "Durban Harare Lusaka Maputo Kigali Addis Chennai Kerala Mindanao Sumatra Andes Sahel "
    "Patagonia Amazonas Yucatán Chiapas Berlin Lisbon Naples Athens Sarajevo Tbilisi Almaty"
)
COMMON = _words(
    "community data technology free software people network rights digital local internet "
    "research education open platform justice public knowledge autonomy sovereignty media "
    "infrastructure cooperative training tools privacy teaching"
)
RARE = _words(
    "mesh radio archives seeds water farming translation indigenous languages cartography "
    "satellite fibre spectrum sensors journalism libraries textbooks maps schools health "
    "clinics weather cooperatives fisheries repair recycling solar batteries servers"
)
COUNTRIES = _words(
    "KE NG GH SN UG CO PE EC BR MX PH ID BD NP LK PK TN LB JO EG CL UY PY ZA ZW ZM MZ RW ET "
    "IN DE PT IT GR BA GE KZ AR BO VE CU NI GT HN SV CR PA DO HT JM TT BZ MA DZ SD SO TZ MW"
)
LANGUAGES = _words("en es fr pt sw ar hi bn id tl de it ru zh am yo ha zu")
CATEGORIES = ("civil-society", "learning", "geographic")


def _description(rng: random.Random) -> str:
    words = [
        rng.choice(RARE) if rng.random() < 0.15 else rng.choice(COMMON)
        for _ in range(rng.randint(12, 60))
    ]
    return (" ".join(words).capitalize() + ".")[:600]


def organisations(count: int, seed: int) -> list[tuple[str, Mapping[str, Any]]]:
    """`count` generated organisations with unique names, labelled as an import expects."""
    rng = random.Random(seed)
    rows: list[tuple[str, Mapping[str, Any]]] = []
    names: set[str] = set()
    while len(rows) < count:
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} of {rng.choice(PLACES)}"
        if name.casefold() in names:
            name = f"{name} {len(rows)}"
        names.add(name.casefold())
        row = {
            "name": name,
            "category": rng.choice(CATEGORIES),
            "country": rng.choice(COUNTRIES),
            "languages": ",".join(rng.sample(LANGUAGES, rng.randint(0, 3))),
            "website": f"https://org{len(rows)}.example.org",
            "description": _description(rng),
            "joined": f"20{rng.randint(20, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        }
        rows.append((f"entry {len(rows) + 1}", row))
    return rows


def queries(first_name: str) -> list[tuple[str, str]]:
    """(kind, text typed) for each kind of query measured."""
    two_words = " ".join(first_name.split()[:2])
    return [
        ("floor: !supporters (no search)", "!supporters"),
        ("overview", "!members"),
        ("category", "!members learning"),
        ("category, page 300", "!members civil-society page 300"),
        ("country code", "!members ke"),
        ("country name", "!members kenya"),
        ("one common word", "!members community"),
        ("one common word, page 200", "!members community page 200"),
        ("two words", "!members community radio"),
        ("three words", "!members free software teaching"),
        ("word prefix", "!members netw"),
        ("rare word", "!members fisheries"),
        ("no results", "!members zyxwvut"),
        ("card by exact name", f"!member {first_name}"),
        ("card lookup, many names", f"!member {two_words}"),
    ]


def _ms(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] * 1000


async def run(count: int, runs: int, seed: int) -> None:
    """Build the directory, then time each kind of query."""
    with tempfile.TemporaryDirectory() as folder:
        async with ChatHarness(make_config(Path(folder))) as harness:
            rows = organisations(count, seed)
            started = time.perf_counter()
            outcome = await harness.app.members.import_rows(rows, "bench")
            built = time.perf_counter() - started
            print(f"imported {outcome.added} organisations in {built:.1f} s")
            print(f"{'query kind':34} {'matches':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}")
            for kind, text in queries(str(rows[0][1]["name"])):
                await _measure(harness, kind, text, runs)


async def _measure(harness: ChatHarness, kind: str, text: str, runs: int) -> None:
    replies = await harness.send(text)
    counted = replies[0].body.split("\n")[0].rsplit(": ", 1)[-1].split(" ")[0]
    matches = counted if counted.isdigit() else "-"
    for _ in range(5):  # warm the page cache and the statement cache
        await harness.send(text)
    times: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        await harness.send(text)
        times.append(time.perf_counter() - started)
    print(
        f"{kind:34} {matches:>8} {_ms(times, 0.5):7.2f} {_ms(times, 0.95):7.2f}"
        f" {_ms(times, 0.99):7.2f} {max(times) * 1000:7.2f}"
    )
    assert statistics.fmean(times) > 0


def _machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.python_implementation()} {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}, {os.cpu_count()} CPUs, {memory:.0f} GiB RAM"
    )


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=10_000, help="organisations to generate")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per query kind")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    args = parser.parse_args()
    print(f"members search: {args.orgs} organisations, {args.runs} runs each; {_machine()}")
    print("times in ms per query, through the dispatcher, including rendering the reply")
    asyncio.run(run(args.orgs, args.runs, args.seed))


if __name__ == "__main__":
    main()
