"""Member organisations, applications to be listed, and supporters' keyed digests."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from natm_bot.core.clock import Clock
from natm_bot.core.text import name_key
from natm_bot.storage.database import Database, Transaction
from natm_bot.storage.delegates import add_first_delegate
from natm_bot.storage.state import ANONYMOUS_SUPPORTERS, NUMBER_SQL

_INFO = "name, category, country, languages, website, description, contact"
_ORG = f"id, {_INFO}, joined"
_APP = f"id, {_INFO}, applicant, applied_at"
_TOKEN_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class OrgInfo:
    """What describes an organisation, as listed or as applied for."""

    name: str
    category: str
    country: str
    website: str
    description: str
    languages: tuple[str, ...] = ()
    contact: str | None = None


@dataclass(frozen=True)
class Organisation:
    """A listed member organisation."""

    id: int
    info: OrgInfo
    joined: date


@dataclass(frozen=True)
class Application:
    """An organisation waiting to be listed, and who asked (to tell them the outcome)."""

    id: int
    info: OrgInfo
    applicant: str
    applied_at: datetime


@dataclass(frozen=True)
class Found:
    """One page of a search: the organisations on it and how many matched in all."""

    total: int
    items: tuple[Organisation, ...]


class NameTaken(Exception):
    """An organisation of that name is already listed, or already applied for."""

    def __init__(self, where: Literal["listed", "pending"]) -> None:
        super().__init__(where)
        self.where = where


def _info(row: sqlite3.Row) -> OrgInfo:
    return OrgInfo(
        name=row["name"],
        category=row["category"],
        country=row["country"],
        website=row["website"],
        description=row["description"],
        languages=tuple(code for code in row["languages"].split(",") if code),
        contact=row["contact"],
    )


def _organisation(row: sqlite3.Row) -> Organisation:
    return Organisation(row["id"], _info(row), date.fromisoformat(row["joined"]))


def _application(row: sqlite3.Row) -> Application:
    applied = datetime.fromtimestamp(row["applied_at"] / 1000, UTC)
    return Application(row["id"], _info(row), row["applicant"], applied)


def _values(info: OrgInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "name_key": name_key(info.name),
        "category": info.category,
        "country": info.country,
        "languages": ",".join(info.languages),
        "website": info.website,
        "description": info.description,
        "contact": info.contact,
    }


def fts_query(words: Sequence[str], names_only: bool = False) -> str | None:
    """An FTS5 expression where every word must start a word of the row; None if no words.

    Each token is quoted, so nothing a person types is read as FTS5 syntax."""
    tokens = [token for word in words for token in _TOKEN_RE.findall(word)]
    column = "name : " if names_only else ""
    return " AND ".join(f'{column}"{token}"*' for token in tokens) or None


class MemberStore:
    """SQL for the directory; every change that spans rows is one transaction.

    Applications are stamped with the time of `clock`."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        row = await self._db.fetchone(sql, params)
        return int(row[0]) if row else 0

    def _now_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)

    async def _orgs(self, sql: str, params: Sequence[Any] = ()) -> tuple[Organisation, ...]:
        return tuple(_organisation(row) for row in await self._db.fetchall(sql, params))

    async def count_by_category(self) -> dict[str, int]:
        """How many organisations each category has (categories with none are left out)."""
        rows = await self._db.fetchall(
            "SELECT category, COUNT(*) FROM organisations GROUP BY category"
        )
        return {row[0]: int(row[1]) for row in rows}

    async def newest(self, limit: int) -> tuple[Organisation, ...]:
        """The organisations that joined last."""
        return await self._orgs(
            f"SELECT {_ORG} FROM organisations ORDER BY joined DESC, id DESC LIMIT ?", (limit,)
        )

    async def in_category(self, category: str, offset: int, limit: int) -> Found:
        """A page of one category, by name."""
        where = "FROM organisations WHERE category = ?"
        total = await self._count(f"SELECT COUNT(*) {where}", (category,))
        items = await self._orgs(
            f"SELECT {_ORG} {where} ORDER BY name_key LIMIT ? OFFSET ?", (category, limit, offset)
        )
        return Found(total, items)

    async def in_country(self, country: str, offset: int, limit: int) -> Found:
        """A page of one country, by name."""
        where = "FROM organisations WHERE country = ?"
        total = await self._count(f"SELECT COUNT(*) {where}", (country,))
        items = await self._orgs(
            f"SELECT {_ORG} {where} ORDER BY name_key LIMIT ? OFFSET ?", (country, limit, offset)
        )
        return Found(total, items)

    async def matching(
        self, words: Sequence[str], offset: int, limit: int, names_only: bool = False
    ) -> Found:
        """A page of the organisations whose name or description has every word, by name."""
        query = fts_query(words, names_only)
        if query is None:
            return Found(0, ())
        total = await self._count(
            "SELECT COUNT(*) FROM organisations_fts WHERE organisations_fts MATCH ?", (query,)
        )
        items = await self._orgs(
            f"SELECT {_ORG} FROM organisations WHERE id IN (SELECT rowid FROM organisations_fts"
            " WHERE organisations_fts MATCH ?) ORDER BY name_key LIMIT ? OFFSET ?",
            (query, limit, offset),
        )
        return Found(total, items)

    async def get(self, number: int) -> Organisation | None:
        """One organisation by its number."""
        found = await self._orgs(f"SELECT {_ORG} FROM organisations WHERE id = ?", (number,))
        return found[0] if found else None

    async def named(self, name: str) -> Organisation | None:
        """One organisation by its exact name (case-insensitively)."""
        found = await self._orgs(
            f"SELECT {_ORG} FROM organisations WHERE name_key = ?", (name_key(name),)
        )
        return found[0] if found else None

    async def name_used(self, name: str) -> Literal["listed", "pending"] | None:
        """Whether a name is taken by a listed organisation or a pending application."""
        key = name_key(name)
        if await self._count("SELECT COUNT(*) FROM organisations WHERE name_key = ?", (key,)):
            return "listed"
        sql = "SELECT COUNT(*) FROM member_applications WHERE name_key = ?"
        return "pending" if await self._count(sql, (key,)) else None

    async def refold_names(self) -> int:
        """Bring the stored name keys in step with `name_key` (a database written before it
        folded accents and hyphens); how many rows moved. A row whose new key another row
        already holds keeps its old one: the names now read as the same name."""
        moved = 0
        for table in ("organisations", "member_applications"):
            rows = await self._db.fetchall(f"SELECT id, name, name_key FROM {table}")
            keys = [(name_key(row["name"]), row["id"], row["name_key"]) for row in rows]
            stale = [(key, id_) for key, id_, old in keys if key != old]
            if stale:
                await self._db.executemany(
                    f"UPDATE OR IGNORE {table} SET name_key = ? WHERE id = ?", stale
                )
                moved += len(stale)
        return moved

    async def count(self) -> int:
        """How many organisations are listed."""
        return await self._count("SELECT COUNT(*) FROM organisations")

    async def all(self) -> tuple[Organisation, ...]:
        """Every organisation, by name."""
        return await self._orgs(f"SELECT {_ORG} FROM organisations ORDER BY name_key")

    async def update(self, number: int, info: OrgInfo, joined: date) -> Organisation | None:
        """Replace an organisation's fields; None when there is no such number."""
        values = {**_values(info), "id": number, "joined": joined.isoformat()}
        sets = ", ".join(f"{key} = :{key}" for key in values if key != "id")
        try:
            changed = await self._db.execute(
                f"UPDATE organisations SET {sets} WHERE id = :id", values
            )
        except sqlite3.IntegrityError:
            raise NameTaken("listed") from None
        return await self.get(number) if changed else None

    async def remove(self, number: int) -> Organisation | None:
        """Delete an organisation; what it was, or None when there was none."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"DELETE FROM organisations WHERE id = ? RETURNING {_ORG}", (number,)
            )
            row = await cursor.fetchone()
            await cursor.close()
        return _organisation(row) if row else None

    async def upsert(self, rows: Sequence[tuple[OrgInfo, date | None]], today: date) -> int:
        """Add or update (by name) many organisations in one transaction; how many were new.

        An updated organisation keeps its joined date unless the row gives one."""
        before = await self.count()
        params = [
            {**_values(info), "joined": joined.isoformat() if joined else None}
            for info, joined in rows
        ]
        await self._db.executemany(
            f"INSERT INTO organisations (name_key, {_INFO}, joined) VALUES (:name_key, :name,"
            " :category, :country, :languages, :website, :description, :contact,"
            " COALESCE(:joined, :today)) ON CONFLICT (name_key) DO UPDATE SET"
            " name = excluded.name, category = excluded.category, country = excluded.country,"
            " languages = excluded.languages, website = excluded.website,"
            " description = excluded.description, contact = excluded.contact,"
            " joined = COALESCE(:joined, organisations.joined)",
            [{**p, "today": today.isoformat()} for p in params],
        )
        return await self.count() - before

    async def apply(self, info: OrgInfo, applicant: str) -> Application:
        """Queue an application; NameTaken when the name is listed or already applied for."""
        values = {**_values(info), "applicant": applicant, "at": self._now_ms()}
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT 1 FROM organisations WHERE name_key = ?", (values["name_key"],)
            )
            if await cursor.fetchone():
                raise NameTaken("listed")
            try:
                cursor = await conn.execute(
                    f"INSERT INTO member_applications (name_key, {_INFO}, applicant, applied_at)"
                    " VALUES (:name_key, :name, :category, :country, :languages, :website,"
                    f" :description, :contact, :applicant, :at) RETURNING {_APP}",
                    values,
                )
            except sqlite3.IntegrityError:
                raise NameTaken("pending") from None
            row = await cursor.fetchone()
            await cursor.close()
        assert row is not None
        return _application(row)

    async def pending(self, offset: int, limit: int) -> tuple[int, tuple[Application, ...]]:
        """How many applications wait, and one page of them, oldest first."""
        total = await self._count("SELECT COUNT(*) FROM member_applications")
        rows = await self._db.fetchall(
            f"SELECT {_APP} FROM member_applications ORDER BY id LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return total, tuple(_application(row) for row in rows)

    async def pending_by(self, applicant: str) -> int:
        """How many applications of this person wait."""
        sql = "SELECT COUNT(*) FROM member_applications WHERE applicant = ?"
        return await self._count(sql, (applicant,))

    async def approve(self, number: int, joined: date) -> tuple[Application, Organisation] | None:
        """List an applied-for organisation and delete its application, in one transaction;
        the applicant becomes its first delegate unless they are one already elsewhere."""
        async with self._db.transaction() as conn:
            application = await self._take(conn, number)
            if application is None:
                return None
            values = {**_values(application.info), "joined": joined.isoformat()}
            try:
                cursor = await conn.execute(
                    f"INSERT INTO organisations (name_key, {_INFO}, joined) VALUES (:name_key,"
                    " :name, :category, :country, :languages, :website, :description, :contact,"
                    f" :joined) RETURNING {_ORG}",
                    values,
                )
            except sqlite3.IntegrityError:
                raise NameTaken("listed") from None
            row = await cursor.fetchone()
            await cursor.close()
            assert row is not None
            await add_first_delegate(conn, row["id"], application.applicant, self._now_ms())
        return application, _organisation(row)

    async def reject(self, number: int) -> Application | None:
        """Delete an application (and with it the applicant's id); what it was."""
        async with self._db.transaction() as conn:
            return await self._take(conn, number)

    async def _take(self, conn: Transaction, number: int) -> Application | None:
        cursor = await conn.execute(
            f"DELETE FROM member_applications WHERE id = ? RETURNING {_APP}", (number,)
        )
        row = await cursor.fetchone()
        await cursor.close()
        return _application(row) if row else None

    async def add_supporter(self, digest: str) -> bool:
        """Count a supporter's digest once; False when it was already counted."""
        sql = "INSERT INTO supporters (digest) VALUES (?) ON CONFLICT DO NOTHING"
        return await self._db.execute(sql, (digest,)) == 1

    async def has_supporter(self, digest: str) -> bool:
        """Whether this digest is counted."""
        return await self._count("SELECT COUNT(*) FROM supporters WHERE digest = ?", (digest,)) > 0

    async def remove_supporter(self, digest: str) -> bool:
        """Forget a supporter's digest; False when it was not there."""
        return await self._db.execute("DELETE FROM supporters WHERE digest = ?", (digest,)) == 1

    async def supporter_count(self) -> int:
        """How many supporters there are, including those who asked to be forgotten."""
        return await self._count(
            f"SELECT (SELECT COUNT(*) FROM supporters) + {NUMBER_SQL}", (ANONYMOUS_SUPPORTERS,)
        )
