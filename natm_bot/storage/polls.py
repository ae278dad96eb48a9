"""Polls, who may vote in each, the votes cast, and the reminders sent.

A poll keeps its electorate as it was when it opened: the room's members (their Matrix ids;
for a secret ballot, keyed digests only), or the member organisations (`org:<id>`). Every
vote is kept as cast (a change of mind is a new row), so the count is always the last vote
before the close; a secret ballot's row holds a digest of the voter, never their Matrix id.
A closed poll holds its outcome (JSON) until it is posted once (`posted`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from natm_bot.core.clock import Clock
from natm_bot.storage.database import Database
from natm_bot.storage.schema_polls import POLLS_STEP

__all__ = ["POLLS_STEP", "Poll", "PollStore", "Vote"]

ERASED = "(erased)"  # stands for a forgotten person where a row must name someone


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _at(ms: object) -> datetime:
    return datetime.fromtimestamp(int(str(ms)) / 1000, UTC)


@dataclass(frozen=True)
class Poll:
    """A poll as stored."""

    id: int
    room_id: str
    creator: str
    kind: str
    question: str
    options: tuple[str, ...]
    max_choices: int
    quorum: str  # "" | "50%" | "12"
    threshold: str  # "" | "2/3"
    voters: str  # "room" | "organisations"
    hidden: bool
    secret: bool
    timezone: str
    opened_at: datetime
    closes_at: datetime
    state: str = "open"
    poll_event: str | None = None
    outcome: str | None = None
    posted: bool = False


@dataclass(frozen=True)
class Vote:
    """One vote as cast (the last one before the close counts)."""

    event: str
    voter: str
    person: str
    choices: tuple[int, ...]
    reason: str
    at: datetime


def _poll(row: sqlite3.Row) -> Poll:
    return Poll(
        id=int(row["id"]),
        room_id=str(row["room_id"]),
        creator=str(row["creator"]),
        kind=str(row["kind"]),
        question=str(row["question"]),
        options=tuple(json.loads(row["options"])),
        max_choices=int(row["max_choices"]),
        quorum=str(row["quorum"]),
        threshold=str(row["threshold"]),
        voters=str(row["voters"]),
        hidden=bool(row["hidden"]),
        secret=bool(row["secret"]),
        timezone=str(row["timezone"]),
        opened_at=_at(row["opened_at"]),
        closes_at=_at(row["closes_at"]),
        state=str(row["state"]),
        poll_event=row["poll_event"],
        outcome=row["outcome"],
        posted=bool(row["posted"]),
    )


def _vote(row: sqlite3.Row) -> Vote:
    return Vote(
        event=str(row["event"]),
        voter=str(row["voter"]),
        person=str(row["person"]),
        choices=tuple(int(c) for c in json.loads(row["choices"])),
        reason=str(row["reason"]),
        at=_at(row["at"]),
    )


_INSERT = (
    "INSERT INTO polls (room_id, creator, kind, question, options, max_choices, quorum, "
    "threshold, voters, hidden, secret, timezone, opened_at, closes_at, source) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class PollStore:
    """SQL for polls and their votes; each change is one transaction."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def add(
        self, poll: Poll, electorate: Callable[[int], Iterable[str]], source: str
    ) -> Poll:
        """Save a new poll with its electorate (as keyed for the poll's number), in one
        transaction; the poll with its number. `source` is the command's event: the same
        command read again (after a crash) gives the poll it opened, not a second one."""
        values = (
            poll.room_id,
            poll.creator,
            poll.kind,
            poll.question,
            json.dumps(list(poll.options), ensure_ascii=False),
            poll.max_choices,
            poll.quorum,
            poll.threshold,
            poll.voters,
            int(poll.hidden),
            int(poll.secret),
            poll.timezone,
            _ms(poll.opened_at),
            _ms(poll.closes_at),
            source,
        )

        def work(conn: sqlite3.Connection) -> int:
            row = conn.execute("SELECT id FROM polls WHERE source = ?", (source,)).fetchone()
            if row is not None:
                return int(row[0])
            number = int(conn.execute(_INSERT, values).lastrowid or 0)
            conn.executemany(
                "INSERT INTO poll_electorate (poll_id, voter) VALUES (?, ?)",
                [(number, v) for v in sorted(set(electorate(number)))],
            )
            return number

        number = await self._db.run(work)
        found = await self.get(number)
        assert found is not None
        return found

    async def get(self, number: int) -> Poll | None:
        """The poll with this number, or None."""
        row = await self._db.fetchone("SELECT * FROM polls WHERE id = ?", (number,))
        return _poll(row) if row else None

    async def by_event(self, event_id: str) -> Poll | None:
        """The poll whose native poll start is this event, or None."""
        row = await self._db.fetchone("SELECT * FROM polls WHERE poll_event = ?", (event_id,))
        return _poll(row) if row else None

    async def in_room(self, room_id: str, since: datetime) -> list[Poll]:
        """The room's open polls and those closed or cancelled since `since`, newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM polls WHERE room_id = ? AND (state = 'open' OR closes_at >= ?) "
            "ORDER BY id DESC LIMIT 50",
            (room_id, _ms(since)),
        )
        return [_poll(r) for r in rows]

    async def decided(self, offset: int, limit: int) -> tuple[list[Poll], int]:
        """Closed polls with their outcomes, newest close first, and how many there are."""
        rows = await self._db.fetchall(
            "SELECT * FROM polls WHERE state = 'closed' ORDER BY closes_at DESC, id DESC "
            "LIMIT ? OFFSET ?",
            (limit, offset),
        )
        total = await self._db.fetchone("SELECT COUNT(*) FROM polls WHERE state = 'closed'")
        return [_poll(r) for r in rows], int(total[0]) if total else 0

    async def decided_in(
        self, rooms: frozenset[str], offset: int, limit: int
    ) -> tuple[list[Poll], int]:
        """Closed polls of these rooms, newest close first, and how many there are."""
        if not rooms:
            return [], 0
        marks = ", ".join("?" for _ in rooms)
        where = f"state = 'closed' AND room_id IN ({marks})"
        rows = await self._db.fetchall(
            f"SELECT * FROM polls WHERE {where} ORDER BY closes_at DESC, id DESC LIMIT ? OFFSET ?",
            (*sorted(rooms), limit, offset),
        )
        total = await self._db.fetchone(
            f"SELECT COUNT(*) FROM polls WHERE {where}", tuple(sorted(rooms))
        )
        return [_poll(r) for r in rows], int(total[0]) if total else 0

    async def open_polls(self) -> list[Poll]:
        """Every open poll, the first to close first."""
        rows = await self._db.fetchall(
            "SELECT * FROM polls WHERE state = 'open' ORDER BY closes_at, id"
        )
        return [_poll(r) for r in rows]

    async def unposted(self) -> list[Poll]:
        """Closed polls whose outcome is not posted yet."""
        rows = await self._db.fetchall(
            "SELECT * FROM polls WHERE state = 'closed' AND posted = 0 ORDER BY closes_at, id"
        )
        return [_poll(r) for r in rows]

    async def electorate(self, number: int) -> frozenset[str]:
        """Who may vote in the poll, as it opened."""
        rows = await self._db.fetchall(
            "SELECT voter FROM poll_electorate WHERE poll_id = ?", (number,)
        )
        return frozenset(str(r[0]) for r in rows)

    async def votes(self, number: int) -> list[Vote]:
        """Every vote cast in the poll, in the order cast."""
        rows = await self._db.fetchall(
            "SELECT * FROM poll_votes WHERE poll_id = ? ORDER BY at, event", (number,)
        )
        return [_vote(r) for r in rows]

    async def has_voted(self, number: int, voter: str) -> bool:
        """Whether this voter has a vote in the poll."""
        row = await self._db.fetchone(
            "SELECT 1 FROM poll_votes WHERE poll_id = ? AND voter = ?", (number, voter)
        )
        return row is not None

    async def cast(self, number: int, vote: Vote) -> bool:
        """Keep a vote (a repeat of the same event changes nothing); False when the poll
        is no longer open."""

        def work(conn: sqlite3.Connection) -> bool:
            row = conn.execute("SELECT state FROM polls WHERE id = ?", (number,)).fetchone()
            if row is None or row[0] != "open":
                return False
            conn.execute(
                "INSERT OR IGNORE INTO poll_votes (poll_id, event, voter, person, choices, "
                "reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    number,
                    vote.event,
                    vote.voter,
                    vote.person,
                    json.dumps(list(vote.choices)),
                    vote.reason,
                    _ms(vote.at),
                ),
            )
            return True

        return await self._db.run(work)

    async def set_event(self, number: int, event_id: str) -> None:
        """Remember the native poll start of the poll."""
        await self._db.execute("UPDATE polls SET poll_event = ? WHERE id = ?", (event_id, number))

    async def close_early(self, number: int, now: datetime) -> bool:
        """Bring an open poll's close to now; False when it was not open."""
        changed = await self._db.execute(
            "UPDATE polls SET closes_at = min(closes_at, ?) WHERE id = ? AND state = 'open'",
            (_ms(now), number),
        )
        return changed > 0

    async def set_closes_at(self, number: int, closes_at: datetime) -> None:
        """Move the closing time of an open poll."""
        await self._db.execute(
            "UPDATE polls SET closes_at = ? WHERE id = ? AND state = 'open'",
            (_ms(closes_at), number),
        )

    async def close(self, number: int, outcome: str, closed_at: datetime) -> bool:
        """Record the outcome of an open poll (its closing time becomes `closed_at` when
        that is earlier); False when it was not open."""
        return (
            await self._db.execute(
                "UPDATE polls SET state = 'closed', outcome = ?, closes_at = min(closes_at, ?) "
                "WHERE id = ? AND state = 'open'",
                (outcome, _ms(closed_at), number),
            )
            > 0
        )

    async def cancel(self, number: int) -> bool:
        """Cancel an open poll; False when it was not open."""
        changed = await self._db.execute(
            "UPDATE polls SET state = 'cancelled', posted = 1 WHERE id = ? AND state = 'open'",
            (number,),
        )
        return changed > 0

    async def posted(self, number: int) -> None:
        """Record that the outcome was posted, and forget who could vote and who voted:
        the outcome keeps the counts (and a proposal's blocks)."""

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE polls SET posted = 1 WHERE id = ?", (number,))
            conn.execute("DELETE FROM poll_votes WHERE poll_id = ?", (number,))
            conn.execute("DELETE FROM poll_electorate WHERE poll_id = ?", (number,))

        await self._db.run(work)

    async def reminded(self, number: int) -> frozenset[int]:
        """The reminders (seconds before the close) already sent for the poll."""
        rows = await self._db.fetchall(
            "SELECT before_s FROM poll_reminders WHERE poll_id = ?", (number,)
        )
        return frozenset(int(r[0]) for r in rows)

    async def remind(self, number: int, before_s: int) -> None:
        """Record a reminder as sent."""
        await self._db.execute(
            "INSERT OR IGNORE INTO poll_reminders (poll_id, before_s) VALUES (?, ?)",
            (number, before_s),
        )

    async def votes_of(self, person: str) -> list[tuple[Poll, Vote]]:
        """A person's votes in open polls (secret ballots keep no person), oldest first."""
        rows = await self._db.fetchall(
            "SELECT v.*, p.* FROM poll_votes v JOIN polls p ON p.id = v.poll_id "
            "WHERE v.person = ? AND p.state = 'open' ORDER BY v.at, v.event",
            (person,),
        )
        return [(_poll(row), _vote(row)) for row in rows]

    async def last_vote(self, number: int, voter: str, until: datetime) -> Vote | None:
        """The voter's last vote in the poll cast by `until`, or None."""
        row = await self._db.fetchone(
            "SELECT * FROM poll_votes WHERE poll_id = ? AND voter = ? AND at <= ? "
            "ORDER BY at DESC, event DESC LIMIT 1",
            (number, voter, _ms(until)),
        )
        return _vote(row) if row else None

    async def forget(self, person: str) -> int:
        """Remove a person's votes (cast by them, for themselves or their organisation) and
        them from every electorate; a closed poll's stored outcome keeps its counts, its
        blocks and its opener no longer name them. How many votes went."""
        erased = json.dumps(ERASED)

        def work(conn: sqlite3.Connection) -> int:
            removed = conn.execute(
                "DELETE FROM poll_votes WHERE person = ? OR voter = ?", (person, person)
            ).rowcount
            conn.execute("DELETE FROM poll_electorate WHERE voter = ?", (person,))
            conn.execute("UPDATE polls SET creator = ? WHERE creator = ?", (ERASED, person))
            named = json.dumps(person)
            conn.execute(
                "UPDATE polls SET outcome = replace(outcome, ?, ?) WHERE instr(outcome, ?) > 0",
                (named, erased, named),
            )
            return int(removed)

        return await self._db.run(work)
