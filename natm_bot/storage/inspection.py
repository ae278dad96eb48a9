"""Read-only looks into a database file, and consistent copies of SQLite files, for the
operator's commands (`doctor`, `backup`) while the bot may be running."""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from natm_bot.storage.migrations import MIGRATIONS
from natm_bot.storage.soundness import check_sound, unusable

# How long a read waits for the running bot's write to finish.
BUSY_TIMEOUT_S = 10.0
# Pages copied per step of an online backup: small steps let the bot write in between.
BACKUP_PAGES_PER_STEP = 256


class InspectionError(Exception):
    """The file cannot be read as a database; the message says why."""


@dataclass(frozen=True)
class Health:
    """What SQLite's own integrity check and the schema version say about a database."""

    problems: tuple[str, ...]  # empty when the integrity check says "ok"
    version: int  # the schema version in the file
    known: int  # the newest schema version this code knows


@dataclass(frozen=True)
class RoomsInUse:
    """Rooms the database names: where meetings are announced, and the groups' own rooms."""

    meeting_rooms: tuple[str, ...]
    group_rooms: tuple[str, ...]  # the bot invites people into these
    open_group_rooms: tuple[str, ...] = ()  # of open groups: children of the coalition Space


def _read_only(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise InspectionError(f"{path} does not exist")
    uri = f"file:{urllib.parse.quote(str(path))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise InspectionError(f"cannot open {path}: {exc}") from None
    return conn


def health(path: Path) -> Health:
    """The integrity check and schema version of the database at `path`, read-only."""
    conn = _read_only(path)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise InspectionError(f"cannot read {path}: {exc}") from None
    finally:
        conn.close()
    problems = tuple(" ".join(str(row[0]).split()) for row in rows if str(row[0]) != "ok")
    return Health(problems=problems, version=version, known=len(MIGRATIONS))


def rooms_in_use(path: Path) -> RoomsInUse:
    """The rooms of meetings that are not cancelled, and of working groups, read-only."""
    conn = _read_only(path)
    try:
        meetings = conn.execute("SELECT rooms FROM meetings WHERE cancelled = 0").fetchall()
        groups = conn.execute("SELECT room, open FROM groups WHERE room IS NOT NULL").fetchall()
    except sqlite3.Error as exc:
        raise InspectionError(f"cannot read {path}: {exc}") from None
    finally:
        conn.close()
    meeting_rooms: dict[str, None] = {}
    for (raw,) in meetings:
        for room in json.loads(str(raw)):
            meeting_rooms[str(room)] = None
    group_rooms = tuple(sorted({str(room) for room, _ in groups}))
    open_rooms = tuple(sorted({str(room) for room, is_open in groups if is_open}))
    return RoomsInUse(tuple(meeting_rooms), group_rooms, open_rooms)


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of the SQLite file `source` at `target` (created 0600), through
    SQLite's online backup API: writers may go on meanwhile, and the copy holds every
    committed transaction up to one moment, the write-ahead log folded in. DatabaseUnusable
    when the copy is not sound."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    origin = _read_only(source)
    try:
        copy = sqlite3.connect(target)
        try:
            origin.backup(copy, pages=BACKUP_PAGES_PER_STEP)
            copy.execute("PRAGMA journal_mode=DELETE").fetchall()  # one self-contained file
            check_sound(copy, source)  # a damaged page is copied as it is
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise unusable(source, exc) or InspectionError(f"cannot copy {source}: {exc}") from None
    finally:
        origin.close()


def is_database(path: Path) -> bool:
    """Whether the file starts with SQLite's header."""
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False
