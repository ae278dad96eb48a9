"""Health check of a running natm-bot.

    python3 healthcheck.py /etc/natm-bot/bot.yaml

With the HTTP listener configured (`http:` in bot.yaml), the bot's own `/healthz` must answer
200. Without it, its process must be alive and its database open. Exits 0 when healthy, 1 with
one line saying what is wrong otherwise. The container image runs it as its HEALTHCHECK; it
reads only the config and the database, never writes."""

from __future__ import annotations

import sqlite3
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

DEFAULT_DATABASE = "natm-bot.sqlite3"  # as in bot.yaml when paths.database is left out
DEFAULT_LISTEN = "127.0.0.1:9090"  # as in bot.yaml when `http:` gives no `listen`
# A listener on every address is asked on this machine's own.
LOCAL = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "[::]": "[::1]"}


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


def settings_of(config: Path) -> dict[str, Any]:
    """bot.yaml as read by YAML (the bot itself validates it)."""
    return yaml.safe_load(config.read_text(encoding="utf-8")) or {}


def database_of(config: Path, settings: dict[str, Any]) -> Path:
    """The database named by bot.yaml, relative paths taken from the config's folder."""
    name = (settings.get("paths") or {}).get("database") or DEFAULT_DATABASE
    return config.parent / Path(name)


def healthz_of(settings: dict[str, Any]) -> str | None:
    """The URL of the bot's /healthz, or None when the listener is not configured."""
    if "http" not in settings or settings["http"] is None:
        return None
    listen = str((settings["http"] or {}).get("listen") or DEFAULT_LISTEN)
    host, colon, port = listen.rpartition(":")
    if not colon:
        host, port = "", listen
    return f"http://{LOCAL.get(host, host)}:{port}/healthz"


def healthz_answers(url: str) -> None:
    """Raise OSError unless `url` answers 200."""
    with urllib.request.urlopen(url, timeout=5) as response:
        if response.status != 200:
            raise OSError(f"{url} answered {response.status}")


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
        settings = settings_of(config)
        healthz = healthz_of(settings)
        if healthz is not None:
            healthz_answers(healthz)  # urllib's errors are OSErrors
            print(f"healthy: {healthz} answers 200")
            return 0
        database = database_of(config, settings)
        database_opens(database)
    except (OSError, AttributeError, yaml.YAMLError, sqlite3.Error) as exc:
        print(f"unhealthy: {exc}")
        return 1
    print(f"healthy: natm-bot is running and {database} opens")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
