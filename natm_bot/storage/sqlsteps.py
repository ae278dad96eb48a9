"""Plain sqlite3 steps that run on the database thread, each inside one trip there
(`Database` holds the lock and makes the trip)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

log = logging.getLogger("natm_bot.storage.database")

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


def clean_up(raw: sqlite3.Connection) -> None:
    """End a transaction that a failure left open, so the next statement starts clean."""
    if raw.in_transaction:
        log.warning("rolling back a transaction that a failure left open")
        raw.execute("ROLLBACK")


def rollback_after(raw: sqlite3.Connection, error: BaseException | None) -> None:
    """Roll back after `error`; a failing ROLLBACK is logged, never raised in its place (the
    next operation tries again through `clean_up`)."""
    try:
        if raw.in_transaction:  # SQLite itself rolls back on SQLITE_FULL and some I/O errors
            raw.execute("ROLLBACK")
    except sqlite3.Error as rollback_error:
        log.warning("rollback after %r failed too: %s", error, rollback_error)


def all_rows(raw: sqlite3.Connection, sql: str, params: Params) -> list[sqlite3.Row]:
    """Every row of one statement, its cursor closed (an unfinished statement keeps the
    connection from changing pragmas and WAL checkpoints from finishing)."""
    cursor = raw.execute(sql, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def begin_and_roll_back(raw: sqlite3.Connection) -> None:
    """Whether a write could start: BEGIN IMMEDIATE, then ROLLBACK."""
    raw.execute("BEGIN IMMEDIATE").close()
    raw.execute("ROLLBACK").close()


def changed(raw: sqlite3.Connection, sql: str, params: Params) -> int:
    """Run one write statement; the number of rows it changed."""
    cursor = raw.execute(sql, params)
    try:
        return cursor.rowcount
    finally:
        cursor.close()


def snapshot(raw: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """`work(raw)` inside one read transaction (one snapshot of the file), rolled back after:
    nothing `work` does is kept."""
    raw.execute("BEGIN").close()
    try:
        return work(raw)
    finally:
        rollback_after(raw, None)
