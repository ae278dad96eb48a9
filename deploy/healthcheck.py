"""Health check of a running natm-bot: its process is alive and its database opens.

    python3 healthcheck.py /etc/natm-bot/bot.yaml

Exits 0 when healthy, 1 with one line saying what is wrong otherwise. The container image
runs it as its HEALTHCHECK; it reads only the config and the database, never writes."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import yaml

DEFAULT_DATABASE = "natm-bot.sqlite3"  # as in bot.yaml when paths.database is left out


def bot_running(proc: Path = Path("/proc")) -> bool:
    """Whether a `natm-bot run` process is alive (this check's own process aside)."""
    for cmdline in proc.glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # the process ended while we looked
        if any(word.endswith(b"natm-bot") for word in words) and b"run" in words:
            return True
    return False


def database_of(config: Path) -> Path:
    """The database named by bot.yaml, relative paths taken from the config's folder."""
    settings = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    name = (settings.get("paths") or {}).get("database") or DEFAULT_DATABASE
    return config.parent / Path(name)


def database_opens(database: Path) -> None:
    """Open the database read-only and read its schema; raise sqlite3.Error if it cannot."""
    if not database.is_file():
        raise sqlite3.OperationalError(f"{database} does not exist")
    uri = f"file:{database}?mode=ro"
    with sqlite3.connect(uri, uri=True, timeout=5) as connection:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    connection.close()


def main(argv: list[str]) -> int:
    """Check and report; the exit code says healthy (0) or not (1)."""
    config = Path(argv[1] if len(argv) > 1 else "/etc/natm-bot/bot.yaml")
    if not bot_running():
        print("unhealthy: no `natm-bot run` process")
        return 1
    try:
        database = database_of(config)
        database_opens(database)
    except (OSError, AttributeError, yaml.YAMLError, sqlite3.Error) as exc:
        print(f"unhealthy: {exc}")
        return 1
    print(f"healthy: natm-bot is running and {database} opens")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
