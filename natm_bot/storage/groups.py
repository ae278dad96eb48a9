"""Working groups, their coordinators and sign-ups, with the waitlist kept in the schema."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from natm_bot.core.clock import Clock
from natm_bot.storage.database import Database
from natm_bot.storage.sqlsteps import all_rows, changed

JoinStatus = Literal["joined", "waiting", "already-member", "already-waiting"]


@dataclass(frozen=True)
class Group:
    """A working group as stored."""

    id: str
    name: str
    description: dict[str, str]
    room: str | None = None
    capacity: int | None = None
    member_list: str = "coordinators"
    open: bool = True
    aliases: tuple[str, ...] = ()
    coordinators: tuple[str, ...] = ()

    @property
    def public(self) -> bool:
        """Whether anyone may see the member list."""
        return self.member_list == "public"


@dataclass(frozen=True)
class Signup:
    """One person's place in (or queue for) one group."""

    group_id: str
    user_id: str
    joined_at: datetime
    waiting: bool
    position: int | None = None  # place in the waitlist, 1 = next in


@dataclass(frozen=True)
class JoinOutcome:
    """What `join` did."""

    status: JoinStatus
    position: int | None = None


@dataclass(frozen=True)
class LeaveOutcome:
    """What `leave` did, and who moved up from the waitlist because of it."""

    was: Literal["member", "waiting"] | None
    promoted: tuple[str, ...] = field(default_factory=tuple)


class GroupStore:
    """SQL for groups and sign-ups; every multi-step change is one transaction."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def _now_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)

    async def count(self) -> int:
        """How many groups exist."""
        row = await self._db.fetchone("SELECT COUNT(*) FROM groups")
        return int(row[0]) if row else 0

    async def all(self) -> list[Group]:
        """Every group, in creation order (one trip to the database)."""
        return await self._db.read(_all_groups)

    async def get(self, group_id: str) -> Group | None:
        """One group by id."""
        return next((g for g in await self.all() if g.id == group_id), None)

    async def save(self, group: Group) -> tuple[str, ...]:
        """Create or replace a group's fields, aliases and coordinators (sign-ups untouched).

        Returns who moved up from the waitlist because the capacity grew."""
        return await self._db.run(lambda conn: _save(conn, group, self._now_ms()))

    async def counts(self) -> dict[str, tuple[int, int]]:
        """Per group id: (members, waiting)."""
        rows = await self._db.fetchall(
            "SELECT group_id, SUM(1 - waiting), SUM(waiting) FROM signups GROUP BY group_id"
        )
        return {row[0]: (int(row[1]), int(row[2])) for row in rows}

    async def join(self, group: Group, user_id: str) -> JoinOutcome:
        """Take a place, or a place in the queue when the group is full (or others wait);
        one transaction in one trip to the database."""
        return await self._db.run(lambda conn: _join(conn, group, user_id, self._now_ms()))

    async def leave(self, group: Group, user_id: str) -> LeaveOutcome:
        """Give up a place or a queue position; the first in the queue moves up (one
        transaction in one trip to the database)."""
        return await self._db.run(lambda conn: _leave(conn, group.id, user_id))

    async def signups(
        self, group_id: str | None = None, user_id: str | None = None
    ) -> list[Signup]:
        """Sign-ups of a group and/or a person, members first, then the queue in order."""
        rows = await self._db.fetchall(
            "SELECT * FROM (SELECT id, group_id, user_id, joined_at, waiting,"
            " CASE WHEN waiting = 1 THEN ROW_NUMBER() OVER (PARTITION BY group_id, waiting"
            " ORDER BY id) END AS position FROM signups"
            " WHERE (:g IS NULL OR group_id = :g) AND (:u IS NULL OR group_id IN"
            " (SELECT group_id FROM signups WHERE user_id = :u)))"
            " WHERE :u IS NULL OR user_id = :u ORDER BY group_id, waiting, id",
            {"g": group_id, "u": user_id},
        )
        return [
            Signup(
                group_id=row["group_id"],
                user_id=row["user_id"],
                joined_at=datetime.fromtimestamp(row["joined_at"] / 1000, UTC),
                waiting=bool(row["waiting"]),
                position=row["position"],
            )
            for row in rows
        ]


# Each a plain sqlite3 step, run on the database thread in one trip.


def _all_groups(conn: sqlite3.Connection) -> list[Group]:
    rows = all_rows(conn, "SELECT * FROM groups ORDER BY created_at, rowid", ())
    aliases = all_rows(conn, "SELECT alias, group_id FROM group_aliases ORDER BY alias", ())
    coords = all_rows(
        conn, "SELECT group_id, user_id FROM group_coordinators ORDER BY user_id", ()
    )
    return [
        Group(
            id=row["id"],
            name=row["name"],
            description=json.loads(row["description"]),
            room=row["room"],
            capacity=row["capacity"],
            member_list=row["member_list"],
            open=bool(row["open"]),
            aliases=tuple(a["alias"] for a in aliases if a["group_id"] == row["id"]),
            coordinators=tuple(c["user_id"] for c in coords if c["group_id"] == row["id"]),
        )
        for row in rows
    ]


def _save(conn: sqlite3.Connection, group: Group, now_ms: int) -> tuple[str, ...]:
    changed(
        conn,
        "INSERT INTO groups (id, name, description, room, capacity, member_list, open,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        " name = excluded.name, description = excluded.description,"
        " room = excluded.room, capacity = excluded.capacity,"
        " member_list = excluded.member_list, open = excluded.open",
        (
            group.id,
            group.name,
            json.dumps(group.description, ensure_ascii=False),
            group.room,
            group.capacity,
            group.member_list,
            int(group.open),
            now_ms,
        ),
    )
    changed(conn, "DELETE FROM group_aliases WHERE group_id = ?", (group.id,))
    conn.executemany(
        "INSERT INTO group_aliases (alias, group_id) VALUES (?, ?)",
        [(alias, group.id) for alias in group.aliases],
    ).close()
    changed(conn, "DELETE FROM group_coordinators WHERE group_id = ?", (group.id,))
    conn.executemany(
        "INSERT INTO group_coordinators (group_id, user_id) VALUES (?, ?)",
        [(group.id, user) for user in group.coordinators],
    ).close()
    return _promote(conn, group.id)


def _join(conn: sqlite3.Connection, group: Group, user_id: str, now_ms: int) -> JoinOutcome:
    existing = all_rows(
        conn, "SELECT waiting FROM signups WHERE group_id = ? AND user_id = ?", (group.id, user_id)
    )
    if existing:
        if existing[0][0]:
            return JoinOutcome("already-waiting", _position(conn, group.id, user_id))
        return JoinOutcome("already-member")
    waiting = 0
    if group.capacity is not None:
        ((members, queued),) = all_rows(
            conn,
            "SELECT SUM(1 - waiting), SUM(waiting) FROM signups WHERE group_id = ?",
            (group.id,),
        )
        waiting = int((members or 0) >= group.capacity or (queued or 0) > 0)
    changed(
        conn,
        "INSERT INTO signups (group_id, user_id, joined_at, waiting) VALUES (?, ?, ?, ?)",
        (group.id, user_id, now_ms, waiting),
    )
    if waiting:
        return JoinOutcome("waiting", _position(conn, group.id, user_id))
    return JoinOutcome("joined")


def _leave(conn: sqlite3.Connection, group_id: str, user_id: str) -> LeaveOutcome:
    row = all_rows(
        conn,
        "DELETE FROM signups WHERE group_id = ? AND user_id = ? RETURNING waiting",
        (group_id, user_id),
    )
    if not row:
        return LeaveOutcome(None)
    return LeaveOutcome("waiting" if row[0][0] else "member", _promote(conn, group_id))


def _promote(conn: sqlite3.Connection, group_id: str) -> tuple[str, ...]:
    """Who moves up from the waitlist into the places that are free."""
    found = all_rows(
        conn,
        "SELECT capacity, (SELECT COUNT(*) FROM signups WHERE group_id = g.id AND waiting = 0)"
        " FROM groups g WHERE id = ?",
        (group_id,),
    )
    if not found:
        return ()
    capacity, members = found[0]
    free = (capacity - members) if capacity is not None else 1 << 30
    if free <= 0:
        return ()
    rows = all_rows(
        conn,
        "UPDATE signups SET waiting = 0 WHERE id IN (SELECT id FROM signups"
        " WHERE group_id = ? AND waiting = 1 ORDER BY id LIMIT ?) RETURNING user_id",
        (group_id, free),
    )
    return tuple(str(r[0]) for r in rows)


def _position(conn: sqlite3.Connection, group_id: str, user_id: str) -> int:
    """A person's place in a group's waitlist (1 = next in)."""
    ((position,),) = all_rows(
        conn,
        "SELECT COUNT(*) FROM signups WHERE group_id = ? AND waiting = 1 AND id <="
        " (SELECT id FROM signups WHERE group_id = ? AND user_id = ?)",
        (group_id, group_id, user_id),
    )
    return int(position)
