"""Statements, their versions' texts, organisations' endorsements, people's support (keyed
digests only), milestones reached and announced, and the cards a ✍️ endorses."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from natm_bot.core.clock import Clock
from natm_bot.storage.database import Database

_STATEMENT = "id, title, language, version, created_at, versioned_at"


@dataclass(frozen=True)
class Statement:
    """A statement as stored: its current version, and the language of its original text."""

    id: str
    title: str
    language: str
    version: int
    created_at: datetime
    versioned_at: datetime


@dataclass(frozen=True)
class Endorsement:
    """An organisation's endorsement: the latest version it endorsed, shown publicly or not."""

    organisation: int
    version: int
    public: bool
    endorsed_at: datetime


@dataclass(frozen=True)
class Milestone:
    """A number of endorsing organisations a statement reached, and when."""

    statement: str
    milestone: int
    reached_at: datetime


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _statement(row: sqlite3.Row) -> Statement:
    return Statement(
        str(row[0]), str(row[1]), str(row[2]), int(row[3]), _when(row[4]), _when(row[5])
    )


class StatementStore:
    """SQL for statements; each change is one statement or one transaction."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock.now().timestamp() * 1000)

    async def add(self, statement: str, title: str, language: str, text: str) -> bool:
        """Keep a new statement at version 1; False when the id is taken."""
        now = self._now()
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"INSERT OR IGNORE INTO statements ({_STATEMENT}) VALUES (?, ?, ?, 1, ?, ?)",
                (statement, title, language, now, now),
            )
            if not cursor.rowcount:
                return False
            await conn.execute(
                "INSERT INTO statement_texts VALUES (?, 1, ?, ?)", (statement, language, text)
            )
        return True

    async def get(self, statement: str) -> Statement | None:
        """One statement by id."""
        row = await self._db.fetchone(
            f"SELECT {_STATEMENT} FROM statements WHERE id = ?", (statement,)
        )
        return _statement(row) if row else None

    async def all(self) -> tuple[Statement, ...]:
        """Every statement, the newest first."""
        rows = await self._db.fetchall(
            f"SELECT {_STATEMENT} FROM statements ORDER BY created_at DESC, id"
        )
        return tuple(_statement(row) for row in rows)

    async def new_version(self, statement: str, text: str) -> int:
        """Make the next version, its original text given; the version's number."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE statements SET version = version + 1, versioned_at = ? WHERE id = ?",
                (self._now(), statement),
            )
            cursor = await conn.execute(
                "SELECT version, language FROM statements WHERE id = ?", (statement,)
            )
            row = await cursor.fetchone()
            assert row is not None
            await conn.execute(
                "INSERT INTO statement_texts VALUES (?, ?, ?, ?)",
                (statement, row[0], row[1], text),
            )
        return int(row[0])

    async def retitle(self, statement: str, title: str) -> None:
        """Change a statement's title (not a new version)."""
        await self._db.execute("UPDATE statements SET title = ? WHERE id = ?", (title, statement))

    async def translate(self, statement: str, version: int, language: str, text: str) -> None:
        """Keep (or replace) the text of a version in another language."""
        await self._db.execute(
            "INSERT INTO statement_texts VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE"
            " SET text = excluded.text",
            (statement, version, language, text),
        )

    async def texts(self, statement: str, version: int) -> dict[str, str]:
        """The text of a version in each language it has."""
        rows = await self._db.fetchall(
            "SELECT language, text FROM statement_texts WHERE statement_id = ? AND version = ?",
            (statement, version),
        )
        return {str(row[0]): str(row[1]) for row in rows}

    async def endorse(
        self, statement: str, organisation: int, version: int, public: bool | None, actor: str
    ) -> Endorsement | None:
        """Endorse (or confirm) `version` for an organisation, keeping its earlier choice of
        public or private unless one is given; the endorsement as it was before, if any."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT organisation_id, version, public, endorsed_at FROM statement_endorsements"
                " WHERE statement_id = ? AND organisation_id = ?",
                (statement, organisation),
            )
            row = await cursor.fetchone()
            before = (
                Endorsement(int(row[0]), int(row[1]), bool(row[2]), _when(row[3])) if row else None
            )
            shown = public if public is not None else (before.public if before else True)
            await conn.execute(
                "INSERT INTO statement_endorsements VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET version = excluded.version,"
                " public = excluded.public, endorsed_at = excluded.endorsed_at,"
                " acted_by = excluded.acted_by",
                (statement, organisation, version, int(shown), self._now(), actor),
            )
        return before

    async def withdraw(self, statement: str, organisation: int) -> bool:
        """Take an organisation's endorsement back; False when it had none."""
        changed = await self._db.execute(
            "DELETE FROM statement_endorsements WHERE statement_id = ? AND organisation_id = ?",
            (statement, organisation),
        )
        return changed == 1

    async def endorsements(self, statement: str) -> tuple[Endorsement, ...]:
        """Every organisation's endorsement of a statement, the earliest first."""
        rows = await self._db.fetchall(
            "SELECT organisation_id, version, public, endorsed_at FROM statement_endorsements"
            " WHERE statement_id = ? ORDER BY endorsed_at, organisation_id",
            (statement,),
        )
        return tuple(Endorsement(int(r[0]), int(r[1]), bool(r[2]), _when(r[3])) for r in rows)

    async def acted_by(self, user: str) -> list[tuple[str, int, int]]:
        """The endorsements a delegate acted on last: (statement, organisation, version)."""
        rows = await self._db.fetchall(
            "SELECT statement_id, organisation_id, version FROM statement_endorsements"
            " WHERE acted_by = ? ORDER BY statement_id",
            (user,),
        )
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]

    async def support(self, statement: str, digest: str) -> bool:
        """Count a supporter of a statement by digest; False when already counted."""
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO statement_supporters VALUES (?, ?)", (statement, digest)
        )
        return changed == 1

    async def unsupport(self, statement: str, digest: str) -> bool:
        """Stop counting a supporter of a statement; False when they were not counted."""
        changed = await self._db.execute(
            "DELETE FROM statement_supporters WHERE statement_id = ? AND digest = ?",
            (statement, digest),
        )
        return changed == 1

    async def supported(self, digests: Sequence[tuple[str, str]]) -> set[str]:
        """The statements among (statement, digest) pairs whose digest is counted among
        their supporters, in one query."""
        if not digests:
            return set()
        pairs = " OR ".join("(statement_id = ? AND digest = ?)" for _ in digests)
        rows = await self._db.fetchall(
            f"SELECT statement_id FROM statement_supporters WHERE {pairs}",
            [part for pair in digests for part in pair],
        )
        return {str(row[0]) for row in rows}

    async def supporter_count(self, statement: str) -> int:
        """How many people support a statement."""
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM statement_supporters WHERE statement_id = ?", (statement,)
        )
        return int(row[0]) if row else 0

    async def forget(self, user: str, digests: Sequence[tuple[str, str]]) -> int:
        """Erase a person: their support of each (statement, digest), and their name on the
        endorsements they acted on (which stay, the organisation's); how many rows."""
        erased = 0
        async with self._db.transaction() as conn:
            for statement, digest in digests:
                cursor = await conn.execute(
                    "DELETE FROM statement_supporters WHERE statement_id = ? AND digest = ?",
                    (statement, digest),
                )
                erased += cursor.rowcount
            cursor = await conn.execute(
                "UPDATE statement_endorsements SET acted_by = NULL WHERE acted_by = ?", (user,)
            )
            erased += cursor.rowcount
        return erased

    async def reach(self, statement: str, milestone: int) -> bool:
        """Record a milestone reached (once); False when it already was."""
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO statement_milestones VALUES (?, ?, ?)",
            (statement, milestone, self._now()),
        )
        return changed == 1

    async def milestones(self, statement: str | None = None) -> tuple[Milestone, ...]:
        """The milestones reached (of one statement, or of all), the earliest first."""
        where, params = ("WHERE statement_id = ?", (statement,)) if statement else ("", ())
        rows = await self._db.fetchall(
            "SELECT statement_id, milestone, reached_at FROM statement_milestones"
            f" {where} ORDER BY reached_at, statement_id, milestone",
            params,
        )
        return tuple(Milestone(str(r[0]), int(r[1]), _when(r[2])) for r in rows)

    async def announced_in(self, statement: str, milestone: int) -> frozenset[str]:
        """The rooms a milestone was announced in already."""
        rows = await self._db.fetchall(
            "SELECT room_id FROM statement_milestone_rooms"
            " WHERE statement_id = ? AND milestone = ?",
            (statement, milestone),
        )
        return frozenset(str(row[0]) for row in rows)

    async def mark_announced(self, statement: str, milestone: int, room: str) -> None:
        """Record a milestone announced in a room (after it was sent)."""
        await self._db.execute(
            "INSERT OR IGNORE INTO statement_milestone_rooms VALUES (?, ?, ?, ?)",
            (statement, milestone, room, self._now()),
        )

    async def keep_card(self, event_id: str, room_id: str, statement: str) -> None:
        """Keep the event a statement's card became, so a ✍️ on it endorses."""
        await self._db.execute(
            "INSERT OR IGNORE INTO statement_cards VALUES (?, ?, ?, ?)",
            (event_id, room_id, statement, self._now()),
        )

    async def card(self, event_id: str, room_id: str) -> str | None:
        """The statement whose card in `room_id` became `event_id`, if any."""
        row = await self._db.fetchone(
            "SELECT statement_id FROM statement_cards WHERE event_id = ? AND room_id = ?",
            (event_id, room_id),
        )
        return str(row[0]) if row else None
