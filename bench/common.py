"""Shared pieces of the benchmark scripts: the machine, percentiles, process sampling.

The homeserver, the people and the bot process are the very ones the integration tests
use (natm_bot.testing.devserver.LocalSynapse, tests.integration.people.Person / BotProcess).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import sqlite3
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from natm_bot.testing.devserver import LocalSynapse
    from tests.integration.people import BotProcess

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine() -> str:
    """One line naming the date, cores, memory and software, for the README."""
    with open("/proc/meminfo") as handle:
        total_kb = int(handle.readline().split()[1])
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores · "
        f"{total_kb / 1024 / 1024:.1f} GiB · {platform.processor() or platform.machine()} · "
        f"Python {platform.python_version()} · SQLite {sqlite3.sqlite_version}"
    )


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max of a sample (nearest-rank)."""
    ordered = sorted(values)
    if not ordered:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "max": float("nan")}

    def rank(fraction: float) -> float:
        index = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
        return ordered[index]

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": ordered[-1]}


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, ready to paste into bench/README.md."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        lines.append(
            "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        )
    return "\n".join(lines)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def open_fds(pid: int) -> int:
    """How many file descriptors a process has open (entries of /proc/PID/fd)."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def file_size(path: Path) -> int:
    """Size of a file in bytes; 0 when it does not exist (a WAL between checkpoints)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Sampler:
    """Samples a process's RSS every `interval` seconds in a thread; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_rss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_rss_mb = max(self.peak_rss_mb, rss_mb(self.pid))
            except (FileNotFoundError, ProcessLookupError):
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


async def stop_all(bot: BotProcess | None, hs: LocalSynapse) -> None:
    """The end of a live benchmark: the bot stopped as systemd would (killed if it will not
    stop), then the homeserver."""
    if bot is not None:
        with contextlib.suppress(Exception):
            if bot.process is not None and bot.process.poll() is None:
                await bot.stop()
        bot.kill()
    await asyncio.to_thread(hs.stop)
