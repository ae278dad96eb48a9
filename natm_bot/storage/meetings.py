"""Meetings, cancelled occurrences, RSVPs and personal time zones."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from natm_bot.core.clock import Clock
from natm_bot.storage.database import Database

Answer = Literal["yes", "no", "maybe"]


@dataclass(frozen=True)
class Meeting:
    """A meeting as stored: wall-clock start in its zone, optional RRULE."""

    id: int
    title: str
    start_local: datetime
    timezone: str
    duration_minutes: int
    description: str = ""
    rrule: str | None = None
    link: str | None = None
    group_id: str | None = None
    rooms: tuple[str, ...] = ()
    reminders: tuple[int, ...] = ()
    created_at: datetime | None = None  # stamped by the store when first saved
    cancelled: bool = False
    exceptions: frozenset[int] = frozenset()  # cancelled occurrences, UTC seconds
    threads: bool = True
    agenda_by: str = "anyone"


def _row_to_meeting(row: dict[str, object], exceptions: frozenset[int]) -> Meeting:
    return Meeting(
        id=int(str(row["id"])),
        title=str(row["title"]),
        description=str(row["description"]),
        start_local=datetime.fromisoformat(str(row["start_local"])),
        timezone=str(row["timezone"]),
        duration_minutes=int(str(row["duration_minutes"])),
        rrule=str(row["rrule"]) if row["rrule"] else None,
        link=str(row["link"]) if row["link"] else None,
        group_id=str(row["group_id"]) if row["group_id"] else None,
        rooms=tuple(json.loads(str(row["rooms"]))),
        reminders=tuple(json.loads(str(row["reminders"]))),
        created_at=datetime.fromtimestamp(int(str(row["created_at"])), UTC),
        cancelled=bool(row["cancelled"]),
        exceptions=exceptions,
        threads=bool(row.get("threads", 1)),
        agenda_by=str(row.get("agenda_by") or "anyone"),
    )


@dataclass(frozen=True)
class Answered:
    """One person's answer for one occurrence of a meeting."""

    occurrence: int
    user_id: str
    answer: Answer
    remind: bool


@dataclass(frozen=True)
class Timing:
    """When a meeting takes place, without the rest of it: enough to find the next ones."""

    id: int
    start_local: str  # as stored: the ISO wall-clock time in `timezone`
    timezone: str
    rrule: str | None
    exceptions: frozenset[int]


_UPDATE = (
    "UPDATE meetings SET title = ?, description = ?, start_local = ?, timezone = ?,"
    " duration_minutes = ?, rrule = ?, link = ?, group_id = ?, rooms = ?, reminders = ?,"
    " threads = ?, agenda_by = ?, cancelled = ? WHERE id = ?"
)


class MeetingStore:
    """SQL for meetings and everything hanging off them."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def add(self, meeting: Meeting) -> int:
        """Store a new meeting (stamped now unless it says when it was made); its id."""
        created_at = meeting.created_at or self._clock.now()
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO meetings (title, description, start_local, timezone,"
                " duration_minutes, rrule, link, group_id, rooms, reminders, threads, agenda_by,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*self._values(meeting), int(created_at.timestamp())),
            )
            return int(cursor.lastrowid or 0)

    @staticmethod
    def _values(m: Meeting) -> tuple[object, ...]:
        return (
            m.title,
            m.description,
            m.start_local.isoformat(timespec="seconds"),
            m.timezone,
            m.duration_minutes,
            m.rrule,
            m.link,
            m.group_id,
            json.dumps(list(m.rooms)),
            json.dumps(list(m.reminders)),
            int(m.threads),
            m.agenda_by,
        )

    async def update(self, meeting: Meeting) -> None:
        """Store changed fields of an existing meeting."""
        await self._db.execute(
            _UPDATE, (*self._values(meeting), int(meeting.cancelled), meeting.id)
        )

    async def move_dates(
        self, meeting: Meeting, moves: Mapping[int, int], since: int
    ) -> list[Answered]:
        """Store an edited meeting and, in the same transaction, move its cancelled dates and
        answers from `since` on to their new occurrences (`moves`: old → new); those with no
        new occurrence are deleted. The answers deleted."""

        def work(conn: sqlite3.Connection) -> list[Answered]:
            conn.execute(_UPDATE, (*self._values(meeting), int(meeting.cancelled), meeting.id))
            where = "WHERE meeting_id = ? AND occurrence >= ?"
            skipped = conn.execute(
                f"DELETE FROM meeting_exceptions {where} RETURNING occurrence",
                (meeting.id, since),
            ).fetchall()
            conn.executemany(
                "INSERT OR IGNORE INTO meeting_exceptions (meeting_id, occurrence) VALUES (?, ?)",
                [(meeting.id, moves[r[0]]) for r in skipped if r[0] in moves],
            )
            answers = [
                Answered(int(r[0]), str(r[1]), r[2], bool(r[3]))
                for r in conn.execute(
                    f"DELETE FROM rsvps {where} RETURNING occurrence, user_id, answer, remind",
                    (meeting.id, since),
                ).fetchall()
            ]
            conn.executemany(
                "INSERT OR IGNORE INTO rsvps (meeting_id, occurrence, user_id, answer, remind)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (meeting.id, moves[a.occurrence], a.user_id, a.answer, int(a.remind))
                    for a in answers
                    if a.occurrence in moves
                ],
            )
            return [a for a in answers if a.occurrence not in moves]

        return await self._db.run(work)

    async def answers_from(self, meeting_id: int, since: int) -> list[Answered]:
        """Every answer for the meeting's occurrences from `since` on."""
        rows = await self._db.fetchall(
            "SELECT occurrence, user_id, answer, remind FROM rsvps"
            " WHERE meeting_id = ? AND occurrence >= ? ORDER BY occurrence, user_id",
            (meeting_id, since),
        )
        return [Answered(int(r[0]), str(r[1]), r[2], bool(r[3])) for r in rows]

    async def get(self, meeting_id: int) -> Meeting | None:
        """One meeting with its cancelled occurrences."""
        found = await self._load("WHERE id = ?", (meeting_id,))
        return found[0] if found else None

    async def active(self) -> list[Meeting]:
        """Every meeting that is not cancelled."""
        return await self._load("WHERE cancelled = 0", ())

    async def timings(self) -> list[Timing]:
        """When every active meeting takes place, without loading the meetings themselves."""
        rows = await self._db.fetchall(
            "SELECT id, start_local, timezone, rrule FROM meetings WHERE cancelled = 0"
        )
        skipped: dict[int, set[int]] = {}
        for exc in await self._db.fetchall(
            "SELECT e.meeting_id, e.occurrence FROM meeting_exceptions e"
            " JOIN meetings m ON m.id = e.meeting_id WHERE m.cancelled = 0"
        ):
            skipped.setdefault(exc[0], set()).add(exc[1])
        return [
            Timing(row[0], row[1], row[2], row[3], frozenset(skipped.get(row[0], ())))
            for row in rows
        ]

    async def _load(self, where: str, params: tuple[object, ...]) -> list[Meeting]:
        rows = await self._db.fetchall(f"SELECT * FROM meetings {where} ORDER BY id", params)
        ids = [row["id"] for row in rows]
        skipped: dict[int, set[int]] = {}
        if ids:
            marks = ",".join("?" * len(ids)) if len(ids) < 500 else None
            sql = "SELECT meeting_id, occurrence FROM meeting_exceptions"
            sql += f" WHERE meeting_id IN ({marks})" if marks else ""
            for exc in await self._db.fetchall(sql, tuple(ids) if marks else ()):
                skipped.setdefault(exc[0], set()).add(exc[1])
        return [_row_to_meeting(dict(row), frozenset(skipped.get(row["id"], ()))) for row in rows]

    async def cancel_occurrence(self, meeting_id: int, occurrence: int) -> bool:
        """Skip one occurrence; False when it was already skipped."""
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO meeting_exceptions (meeting_id, occurrence) VALUES (?, ?)",
            (meeting_id, occurrence),
        )
        return changed > 0

    async def rsvp(
        self, meeting_id: int, occurrence: int, user_id: str, answer: Answer, remind: bool
    ) -> None:
        """Record (or change) a person's answer for one occurrence."""
        await self._db.execute(
            "INSERT INTO rsvps (meeting_id, occurrence, user_id, answer, remind)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (meeting_id, occurrence, user_id)"
            " DO UPDATE SET answer = excluded.answer, remind = excluded.remind",
            (meeting_id, occurrence, user_id, answer, int(remind)),
        )

    async def rsvp_counts(self, meeting_id: int, occurrence: int) -> dict[str, int]:
        """yes / no / maybe counts for one occurrence."""
        rows = await self._db.fetchall(
            "SELECT answer, COUNT(*) FROM rsvps WHERE meeting_id = ? AND occurrence = ?"
            " GROUP BY answer",
            (meeting_id, occurrence),
        )
        counts = {"yes": 0, "no": 0, "maybe": 0}
        counts.update({str(r[0]): int(r[1]) for r in rows})
        return counts

    async def reminder_list(self, meeting_id: int, occurrence: int) -> list[str]:
        """Who said yes and asked for a direct-message reminder."""
        rows = await self._db.fetchall(
            "SELECT user_id FROM rsvps WHERE meeting_id = ? AND occurrence = ?"
            " AND answer = 'yes' AND remind = 1 ORDER BY user_id",
            (meeting_id, occurrence),
        )
        return [str(r[0]) for r in rows]

    async def timezone_of(self, user_id: str) -> str | None:
        """The zone a person set with !tz."""
        row = await self._db.fetchone(
            "SELECT timezone FROM user_settings WHERE user_id = ?", (user_id,)
        )
        return str(row[0]) if row and row[0] else None

    async def set_timezone(self, user_id: str, tz: str | None) -> None:
        """Set or clear a person's zone."""
        if tz is None:
            await self._db.execute("DELETE FROM user_settings WHERE user_id = ?", (user_id,))
            return
        await self._db.execute(
            "INSERT INTO user_settings (user_id, timezone) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone",
            (user_id, tz),
        )
