"""Every command that opens the database says in one line, with exit code 4, that it is
damaged (or newer than this natm-bot) and what to do, instead of a `sqlite3.DatabaseError`
traceback."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from natm_bot.frontends.cli import EXIT_DATABASE, main
from natm_bot.matrix.session import Credentials
from natm_bot.storage import Database

ROOT = Path(__file__).resolve().parents[2]
USER = "@natm-bot:localhost"


pytestmark = pytest.mark.usefixtures("keep_umask")


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"<html>this is not a database</html>\n" * 200)


def _fresh(path: Path) -> None:
    async def create() -> None:
        database = Database(path)
        await database.open()
        await database.close()

    asyncio.run(create())


def _bad_freelist(path: Path) -> None:
    """A header counting free pages that are not there: it opens, its check fails."""
    _fresh(path)
    data = path.read_bytes()
    path.write_bytes(data[:36] + (5).to_bytes(4, "big") + data[40:])


def _newer(path: Path) -> None:
    _fresh(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "not-sqlite": (_not_sqlite, "is damaged (file is not a database): stop the bot and restore"),
    "bad-freelist": (_bad_freelist, "fails SQLite's integrity check: *** in database main"),
    "newer": (_newer, "has schema version 999, but this natm-bot only knows up to"),
}


def _setup(folder: Path, damage: str) -> Path:
    config = folder / "bot.yaml"
    config.write_text(
        "paths:\n  database: bot.sqlite3\n"
        f"matrix:\n  homeserver: http://127.0.0.1:9\n  user_id: '{USER}'\n  store_dir: store\n"
        "  encryption: false\n"
    )
    Credentials("http://127.0.0.1:9", USER, "DEV", "token", "key").save(folder / "store")
    database = folder / "bot.sqlite3"
    DAMAGE[damage][0](database)
    database.chmod(0o600)
    return config


COMMANDS = [
    ["export", "signups"],
    ["export", "members", "--format", "json"],
    ["export", "ics"],
    ["import", "groups"],
    ["import", "members", "MEMBERS"],
    ["backup", "-o", "OUT"],
]


# A database of a newer schema is sound: `backup` copies it as it is.
CASES = [
    pytest.param(command, damage, id=f"{' '.join(command)}-{damage}")
    for command in COMMANDS
    for damage in sorted(DAMAGE)
    if (command[0], damage) != ("backup", "newer")
]


@pytest.mark.parametrize(("command", "damage"), CASES)
def test_a_command_meeting_a_damaged_database_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], damage: str
) -> None:
    config = _setup(tmp_path, damage)
    members = tmp_path / "members.yaml"
    members.write_text("members: []\n")
    swap = {"MEMBERS": str(members), "OUT": str(tmp_path / "backup.tar.gz")}
    before = (tmp_path / "bot.sqlite3").read_bytes()
    code = main([*(swap.get(word, word) for word in command), "-c", str(config)])
    err = capsys.readouterr().err
    assert code == EXIT_DATABASE
    [line] = err.splitlines()
    assert line.startswith(f"natm-bot: the database {tmp_path / 'bot.sqlite3'} "), line
    assert DAMAGE[damage][1] in line, line
    if damage != "newer":
        assert line.endswith(f"(`natm-bot restore --force -c {config} BACKUP.tar.gz`)"), line
    assert (tmp_path / "bot.sqlite3").read_bytes() == before
    assert not (tmp_path / "backup.tar.gz").exists()


def test_run_meeting_a_damaged_database_says_so_in_one_line(tmp_path: Path) -> None:
    config = _setup(tmp_path, "not-sqlite")
    done = subprocess.run(
        [sys.executable, "-m", "natm_bot", "run", "-c", str(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == EXIT_DATABASE, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"natm-bot: the database {tmp_path / 'bot.sqlite3'} is damaged"), last
