"""Answers given by reacting to an announcement: the reactions that stand, and the answer
(`rsvps.via`) the latest of them gives."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from natm_bot.storage.database import Database
from natm_bot.storage.meetings import Answer

# The reply's answer follows a reaction; "remind me" stays only with a "yes".
_ANSWER_BY = (
    "INSERT INTO rsvps (meeting_id, occurrence, user_id, answer, remind, via)"
    " VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (meeting_id, occurrence, user_id)"
    " DO UPDATE SET answer = excluded.answer, via = excluded.via,"
    " remind = CASE WHEN excluded.answer = 'yes' THEN rsvps.remind ELSE 0 END"
)


@dataclass(frozen=True)
class Reacted:
    """One reaction that answers for an occurrence."""

    event_id: str
    meeting_id: int
    occurrence: int
    user_id: str
    answer: Answer
    reacted_at_ms: int


class ReactionStore:
    """SQL for the reactions that answer for a meeting's occurrence."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def react(self, reacted: Reacted) -> bool:
        """Keep a reaction and make it the person's answer, in one transaction; False when
        it was kept already (the same event read again changes nothing)."""

        def work(conn: sqlite3.Connection) -> bool:
            r = reacted
            # Arrival order decides between reactions stamped the same millisecond.
            row = conn.execute(
                "SELECT MAX(reacted_at) FROM rsvp_reactions"
                " WHERE meeting_id = ? AND occurrence = ? AND user_id = ?",
                (r.meeting_id, r.occurrence, r.user_id),
            ).fetchone()
            at = r.reacted_at_ms if row[0] is None else max(r.reacted_at_ms, int(row[0]) + 1)
            kept = conn.execute(
                "INSERT OR IGNORE INTO rsvp_reactions (event_id, meeting_id, occurrence,"
                " user_id, answer, reacted_at) VALUES (?, ?, ?, ?, ?, ?)",
                (r.event_id, r.meeting_id, r.occurrence, r.user_id, r.answer, at),
            ).rowcount
            if kept:
                args = (r.meeting_id, r.occurrence, r.user_id, r.answer, r.event_id)
                conn.execute(_ANSWER_BY, args)
            return bool(kept)

        return await self._db.run(work)

    async def standing(self, event_id: str) -> Reacted | None:
        """The reaction kept under this event, if it still stands."""
        row = await self._db.fetchone(
            "SELECT event_id, meeting_id, occurrence, user_id, answer, reacted_at"
            " FROM rsvp_reactions WHERE event_id = ?",
            (event_id,),
        )
        if row is None:
            return None
        return Reacted(str(row[0]), int(row[1]), int(row[2]), str(row[3]), row[4], int(row[5]))

    async def retract(self, reacted: Reacted) -> None:
        """Take a reaction back; when it gave the person's answer, their latest remaining
        reaction for the occurrence answers instead, or the answer goes."""

        def work(conn: sqlite3.Connection) -> None:
            r = reacted
            conn.execute("DELETE FROM rsvp_reactions WHERE event_id = ?", (r.event_id,))
            person = (r.meeting_id, r.occurrence, r.user_id)
            answering = conn.execute(
                "SELECT 1 FROM rsvps WHERE meeting_id = ? AND occurrence = ? AND user_id = ?"
                " AND via = ?",
                (*person, r.event_id),
            ).fetchone()
            if answering is None:
                return  # typed since, or another reaction answers
            latest = conn.execute(
                "SELECT event_id, answer FROM rsvp_reactions WHERE meeting_id = ?"
                " AND occurrence = ? AND user_id = ? ORDER BY reacted_at DESC LIMIT 1",
                person,
            ).fetchone()
            if latest is None:
                conn.execute(
                    "DELETE FROM rsvps WHERE meeting_id = ? AND occurrence = ? AND user_id = ?",
                    person,
                )
            else:
                conn.execute(_ANSWER_BY, (*person, latest[1], latest[0]))

        await self._db.run(work)
