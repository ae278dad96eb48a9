"""Faults of the storage itself (full, read-only, locked, failing), told apart from bugs."""

from __future__ import annotations

import sqlite3

from natm_bot.core.i18n import N_


class StorageError(Exception):
    """The database cannot be used (newer than this code, unreadable, disk full…)."""


# SQLite's result codes for faults of the storage rather than of the statement, and how to
# tell a person about them.
_FAULTS = {
    "SQLITE_FULL": N_("full"),
    "SQLITE_READONLY": N_("read-only"),
    "SQLITE_BUSY": N_("busy (locked by another program)"),
    "SQLITE_LOCKED": N_("busy (locked by another program)"),
    "SQLITE_IOERR": N_("failing (input/output errors)"),
    "SQLITE_CANTOPEN": N_("failing (cannot open its files)"),
}


class StorageUnavailable(StorageError, sqlite3.OperationalError):
    """The database cannot save anything right now (full, read-only, locked by another
    program, failing disk); nothing was changed, and it may work again later."""

    def __init__(self, state: str, cause: sqlite3.Error) -> None:
        super().__init__(f"the database is {state}: {cause}")
        self.state = state


def unavailable(error: BaseException) -> StorageUnavailable | None:
    """The storage fault behind `error`, if it is one (not a bug in a statement)."""
    if isinstance(error, StorageUnavailable):
        return error
    if not isinstance(error, sqlite3.OperationalError | sqlite3.DatabaseError):
        return None
    name = getattr(error, "sqlite_errorname", "") or ""
    for code, state in _FAULTS.items():
        if name == code or name.startswith(code + "_"):
            return StorageUnavailable(state, error)
    return None
