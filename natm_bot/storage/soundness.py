"""Whether a database file can be used at all: a SQLite file, sound by SQLite's own checks,
of a schema this code knows. A damaged file is named as such, once, at open, rather than
failing later as a bare `sqlite3.DatabaseError` in whatever happens to read it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from natm_bot.storage.errors import StorageError

# SQLite's result codes for a file that is not a database, or one whose pages are damaged.
_DAMAGED = ("SQLITE_NOTADB", "SQLITE_CORRUPT")
# How many of the integrity check's findings are worth reading (the first names the kind).
MAX_FINDINGS = 10


class DatabaseUnusable(StorageError):
    """The database cannot be used as it is (not a database, damaged, or of a newer schema):
    no restart mends it; restore a backup or upgrade natm-bot. `reason` says which."""

    def __init__(self, path: Path, reason: str, *, newer: bool = False) -> None:
        super().__init__(f"the database {path} {reason}")
        self.path = path
        self.reason = reason
        self.newer = newer  # of a newer schema (its text says what to do), not damaged


def unusable(path: Path, error: BaseException) -> DatabaseUnusable | None:
    """The DatabaseUnusable behind `error` when SQLite says the file is not a database or is
    damaged; None for any other error."""
    if isinstance(error, DatabaseUnusable):
        return error
    if not isinstance(error, sqlite3.DatabaseError):
        return None
    name = getattr(error, "sqlite_errorname", "") or ""
    if any(name == code or name.startswith(code + "_") for code in _DAMAGED):
        return DatabaseUnusable(path, f"is damaged ({error})")
    return None


def findings(raw: sqlite3.Connection, *, quick: bool = True) -> list[str]:
    """What SQLite's quick (or full) integrity check finds wrong; empty when all is well."""
    pragma = "quick_check" if quick else "integrity_check"
    cursor = raw.execute(f"PRAGMA {pragma}({MAX_FINDINGS})")
    try:
        rows = [" ".join(str(row[0]).split()) for row in cursor.fetchall()]  # one line each
    finally:
        cursor.close()
    return [row for row in rows if row != "ok"]


def check_sound(raw: sqlite3.Connection, path: Path) -> None:
    """DatabaseUnusable when SQLite's quick check finds the file damaged."""
    found = findings(raw)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise DatabaseUnusable(path, f"fails SQLite's integrity check: {found[0]}{more}")


def too_new(path: Path, version: int, known: int) -> DatabaseUnusable:
    """The error for a database of a newer schema than this code knows."""
    return DatabaseUnusable(
        path,
        f"has schema version {version}, but this natm-bot only knows up to {known}: "
        "upgrade natm-bot, or restore a backup made with this version",
        newer=True,
    )


def writable_folder(path: Path) -> bool:
    """The database's folder can be written (a missing one is created, or fails, later)."""
    folder = path.parent
    if not folder.exists():
        return True
    return not os.statvfs(folder).f_flag & os.ST_RDONLY and os.access(folder, os.W_OK)
