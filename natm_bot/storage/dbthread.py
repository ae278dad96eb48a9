"""The one use of aiosqlite's internals: a function run on the connection's own thread.

aiosqlite runs every call of a connection as a function on that connection's thread, but it
has no public way to hand it a function of our own; `Database.run` needs one, to do a whole
transaction in one trip to the thread (each `await conn.execute` is a trip of its own). The
private `Connection._execute(fn, *args)` (which every public method goes through) and
`Connection._conn` (the sqlite3 connection) are used here and nowhere else. pyproject.toml
pins aiosqlite to the versions checked to have them, and tests/unit/test_dependencies.py
fails when an upgrade changes them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")


async def on_thread(conn: aiosqlite.Connection, work: Callable[..., T], *args: Any) -> T:
    """`work(sqlite3 connection, *args)` on the connection's thread, in one trip."""
    raw: sqlite3.Connection = conn._conn
    result: T = await conn._execute(work, raw, *args)  # type: ignore[no-untyped-call]
    return result
