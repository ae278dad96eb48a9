"""The lines of minutes said while a meeting runs, and the sessions that were held: when
each ended and when its minutes were posted."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from natm_bot.storage.database import Database

_LINE = (
    "SELECT event_id, meeting_id, occurrence, room_id, sender, speaker_name, kind, text,"
    " owner, due, said_at, undone FROM minute_lines"
)


@dataclass(frozen=True)
class MinuteLine:
    """One recorded line; `sender` and `speaker_name` None once the speaker was forgotten."""

    event_id: str
    meeting_id: int
    occurrence: int
    room_id: str
    sender: str | None
    speaker_name: str | None
    kind: str
    text: str
    owner: str | None
    due: date | None
    said_at: datetime
    undone: bool = False


@dataclass(frozen=True)
class Session:
    """An occurrence that was held and ended."""

    meeting_id: int
    occurrence: int
    ended_at: datetime
    ended_by: str | None
    posted_at: datetime | None


def _line(r: sqlite3.Row) -> MinuteLine:
    return MinuteLine(
        event_id=str(r[0]),
        meeting_id=int(r[1]),
        occurrence=int(r[2]),
        room_id=str(r[3]),
        sender=str(r[4]) if r[4] is not None else None,
        speaker_name=str(r[5]) if r[5] is not None else None,
        kind=str(r[6]),
        text=str(r[7]),
        owner=str(r[8]) if r[8] is not None else None,
        due=date.fromisoformat(str(r[9])) if r[9] else None,
        said_at=datetime.fromtimestamp(int(r[10]), UTC),
        undone=bool(r[11]),
    )


def _session(r: sqlite3.Row) -> Session:
    posted = datetime.fromtimestamp(int(r[4]), UTC) if r[4] is not None else None
    ended = datetime.fromtimestamp(int(r[2]), UTC)
    return Session(int(r[0]), int(r[1]), ended, str(r[3]) if r[3] else None, posted)


class MinutesStore:
    """SQL for `minute_lines` and `meeting_sessions`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, line: MinuteLine) -> bool:
        """Keep a line; False when its event was recorded already."""
        due = line.due.isoformat() if line.due else None
        where = (line.event_id, line.meeting_id, line.occurrence, line.room_id)
        said = (line.sender, line.speaker_name, line.kind, line.text, line.owner, due)
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO minute_lines (event_id, meeting_id, occurrence, room_id,"
            " sender, speaker_name, kind, text, owner, due, said_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*where, *said, int(line.said_at.timestamp())),
        )
        return changed > 0

    async def line(self, event_id: str) -> MinuteLine | None:
        """The line an event recorded, if any."""
        row = await self._db.fetchone(f"{_LINE} WHERE event_id = ?", (event_id,))
        return _line(row) if row is not None else None

    async def replace(self, event_id: str, line: MinuteLine) -> None:
        """An edited line: its new kind, text, owner and due date."""
        await self._db.execute(
            "UPDATE minute_lines SET kind = ?, text = ?, owner = ?, due = ? WHERE event_id = ?",
            (line.kind, line.text, line.owner, line.due.isoformat() if line.due else None,
             event_id),
        )  # fmt: skip

    async def undo(self, event_id: str) -> bool:
        """Mark a line taken back; False when it already was."""
        changed = await self._db.execute(
            "UPDATE minute_lines SET undone = 1 WHERE event_id = ? AND undone = 0", (event_id,)
        )
        return changed > 0

    async def undo_last(self, meeting_id: int, occurrence: int, sender: str) -> bool:
        """Take back the speaker's latest line of an occurrence still standing."""
        changed = await self._db.execute(
            "UPDATE minute_lines SET undone = 1 WHERE event_id = (SELECT event_id FROM"
            " minute_lines WHERE meeting_id = ? AND occurrence = ? AND sender = ? AND undone = 0"
            " ORDER BY said_at DESC, event_id DESC LIMIT 1)",
            (meeting_id, occurrence, sender),
        )
        return changed > 0

    async def lines(self, meeting_id: int, occurrence: int) -> list[MinuteLine]:
        """The occurrence's lines still standing, in the order said."""
        rows = await self._db.fetchall(
            f"{_LINE} WHERE meeting_id = ? AND occurrence = ? AND undone = 0"
            " ORDER BY said_at, event_id",
            (meeting_id, occurrence),
        )
        return [_line(r) for r in rows]

    async def any_line(self, meeting_id: int, occurrence: int) -> bool:
        """Whether anything at all was said for the minutes of an occurrence."""
        row = await self._db.fetchone(
            "SELECT 1 FROM minute_lines WHERE meeting_id = ? AND occurrence = ? LIMIT 1",
            (meeting_id, occurrence),
        )
        return row is not None

    async def end(self, meeting_id: int, occurrence: int, at: datetime, by: str | None) -> bool:
        """Record an occurrence ended; False when it had ended already."""
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO meeting_sessions (meeting_id, occurrence, ended_at, ended_by)"
            " VALUES (?, ?, ?, ?)",
            (meeting_id, occurrence, int(at.timestamp()), by),
        )
        return changed > 0

    async def session(self, meeting_id: int, occurrence: int) -> Session | None:
        """The session of an occurrence, once it ended."""
        row = await self._db.fetchone(
            "SELECT meeting_id, occurrence, ended_at, ended_by, posted_at FROM meeting_sessions"
            " WHERE meeting_id = ? AND occurrence = ?",
            (meeting_id, occurrence),
        )
        return _session(row) if row is not None else None

    async def sessions(self, meeting_id: int) -> list[Session]:
        """Every held occurrence of a meeting, latest first."""
        rows = await self._db.fetchall(
            "SELECT meeting_id, occurrence, ended_at, ended_by, posted_at FROM meeting_sessions"
            " WHERE meeting_id = ? ORDER BY occurrence DESC",
            (meeting_id,),
        )
        return [_session(r) for r in rows]

    async def unposted(self) -> list[Session]:
        """Ended sessions whose minutes were not posted yet."""
        rows = await self._db.fetchall(
            "SELECT meeting_id, occurrence, ended_at, ended_by, posted_at FROM meeting_sessions"
            " WHERE posted_at IS NULL ORDER BY ended_at"
        )
        return [_session(r) for r in rows]

    async def posted(self, meeting_id: int, occurrence: int, at: datetime) -> None:
        """Mark an occurrence's minutes posted."""
        await self._db.execute(
            "UPDATE meeting_sessions SET posted_at = ? WHERE meeting_id = ? AND occurrence = ?",
            (int(at.timestamp()), meeting_id, occurrence),
        )

    async def said_by(self, user: str) -> int:
        """How many lines a person said."""
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM minute_lines WHERE sender = ?", (user,)
        )
        return int(row[0]) if row else 0

    async def forget(self, user: str) -> int:
        """Keep the person's lines unattributed; how many."""
        return await self._db.execute(
            "UPDATE minute_lines SET sender = NULL, speaker_name = NULL WHERE sender = ?",
            (user,),
        )

    async def open_with_lines(self) -> list[tuple[int, int]]:
        """(meeting, occurrence) of every occurrence with lines said and not ended yet."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT l.meeting_id, l.occurrence FROM minute_lines l"
            " LEFT JOIN meeting_sessions s"
            " ON s.meeting_id = l.meeting_id AND s.occurrence = l.occurrence"
            " WHERE s.meeting_id IS NULL"
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    async def posted_of(
        self, meeting_ids: Sequence[int], offset: int, limit: int
    ) -> tuple[list[Session], int]:
        """Sessions of these meetings whose minutes were posted with something in them (ended
        by someone, or with lines said), the latest occurrence first; and how many there are."""
        if not meeting_ids:
            return [], 0
        marks = ", ".join("?" for _ in meeting_ids)
        where = (
            f"s.meeting_id IN ({marks}) AND s.posted_at IS NOT NULL AND (s.ended_by IS NOT NULL"
            " OR EXISTS (SELECT 1 FROM minute_lines l WHERE l.meeting_id = s.meeting_id"
            " AND l.occurrence = s.occurrence))"
        )
        ids = tuple(sorted(meeting_ids))
        rows = await self._db.fetchall(
            "SELECT s.meeting_id, s.occurrence, s.ended_at, s.ended_by, s.posted_at"
            f" FROM meeting_sessions s WHERE {where}"
            " ORDER BY s.occurrence DESC, s.meeting_id DESC LIMIT ? OFFSET ?",
            (*ids, limit, offset),
        )
        total = await self._db.fetchone(
            f"SELECT COUNT(*) FROM meeting_sessions s WHERE {where}", ids
        )
        return [_session(r) for r in rows], int(total[0]) if total else 0
