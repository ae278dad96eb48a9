"""The ledger of what came in (commands, lines of minutes, taps on native polls, reactions
and retractions): at-least-once intake, exactly-once handling."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from natm_bot.core.clock import Clock
from natm_bot.core.messages import (
    EventId,
    Incoming,
    Membership,
    Message,
    PollAnswer,
    Reaction,
    Retraction,
    RoomId,
    Tombstone,
    UserId,
)
from natm_bot.storage import sealed, state
from natm_bot.storage.database import Database
from natm_bot.storage.sealed import Sealed

_COLUMNS = (
    "event_id, room_id, sender, body, thread_id, edit_of, is_direct, sent_at, kind, relates_to,"
    " mentions"
)
MESSAGE = "message"
POLL_ANSWER = "poll_answer"
REACTION = "reaction"
RETRACTION = "retraction"
MEMBERSHIP = "membership"
TOMBSTONE = "tombstone"


def _strings(text: object) -> tuple[str, ...]:
    """The strings of a JSON list a row keeps (a poll answer's ids, a message's mentions)."""
    try:
        found = json.loads(str(text)) if text else []
    except ValueError:
        return ()
    return tuple(a for a in found if isinstance(a, str)) if isinstance(found, list) else ()


def _row_to_incoming(row: tuple[object, ...]) -> Incoming:
    event_id, room_id, sender, body, thread_id, edit_of, is_direct, sent_at, kind, related = row[
        :10
    ]
    timestamp = datetime.fromtimestamp(int(str(sent_at)) / 1000, UTC)
    room, who, event = RoomId(str(room_id)), UserId(str(sender)), EventId(str(event_id))
    if kind == POLL_ANSWER:
        return PollAnswer(room, who, event, timestamp, EventId(str(related)), _strings(body))
    if kind == REACTION:
        return Reaction(room, who, event, timestamp, EventId(str(related)), str(body))
    if kind == RETRACTION:
        return Retraction(room, who, event, timestamp, EventId(str(related)))
    if kind == MEMBERSHIP:
        return _membership(room, who, event, timestamp, body)
    if kind == TOMBSTONE:
        return Tombstone(room, who, event, timestamp, RoomId(str(related)), str(body))
    return Message(
        room_id=room,
        sender=who,
        body=str(body),
        event_id=event,
        thread_id=EventId(str(thread_id)) if thread_id else None,
        is_direct=bool(is_direct),
        timestamp=timestamp,
        edit_of=EventId(str(edit_of)) if edit_of else None,
        mentions=tuple(UserId(m) for m in _strings(row[10])),
    )


def _membership(
    room: RoomId, who: UserId, event: EventId, timestamp: datetime, body: object
) -> Membership:
    """A membership change as its inbox row keeps it: [user, membership, previous, reason]."""
    try:
        user, membership, previous, reason = json.loads(str(body))
    except ValueError:
        user, membership, previous, reason = "", "", None, ""
    return Membership(
        room, who, event, timestamp, UserId(str(user)), str(membership),
        str(previous) if previous else None, str(reason),
    )  # fmt: skip


def _keys(item: Incoming) -> list[EventId]:
    """The ledger keys of an event: its id, and for an edit the event it edits."""
    keys = [item.event_id]
    if isinstance(item, Message) and item.edit_of:
        keys.append(EventId(f"edit:{item.edit_of}"))
    return keys


def _finish(conn: sqlite3.Connection, item: Incoming, now: int) -> None:
    conn.execute("DELETE FROM inbox WHERE event_id = ?", (item.event_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO processed_events (event_id, room_id, handled_at) VALUES (?, ?, ?)",
        [(key, item.room_id, now) for key in _keys(item)],
    )


def _seen(conn: sqlite3.Connection, item: Incoming) -> bool:
    """Whether the event (or an earlier version of its edit) was received before."""
    keys = _keys(item)
    edit_of = item.edit_of if isinstance(item, Message) else None
    placeholders = ",".join("?" * len(keys))
    return bool(
        conn.execute(
            f"SELECT 1 FROM processed_events WHERE event_id IN ({placeholders}) "
            f"UNION ALL SELECT 1 FROM inbox WHERE event_id = ? "
            f"OR (edit_of IS NOT NULL AND edit_of = ?)",
            (*keys, item.event_id, edit_of or ""),
        ).fetchall()
    )


def _row(item: Incoming) -> tuple[object, ...]:
    """The inbox row of a message, a poll answer, a reaction or a retraction."""
    sent_at = int(item.timestamp.timestamp() * 1000)
    head = (item.event_id, item.room_id, item.sender)
    if isinstance(item, PollAnswer):
        body = json.dumps(list(item.answers), ensure_ascii=False)
        return (*head, body, None, None, 0, sent_at, POLL_ANSWER, item.poll_event, None)
    if isinstance(item, Reaction):
        return (*head, item.key, None, None, 0, sent_at, REACTION, item.target, None)
    if isinstance(item, Retraction):
        return (*head, "", None, None, 0, sent_at, RETRACTION, item.redacts, None)
    if isinstance(item, Membership):
        body = json.dumps([item.user, item.membership, item.previous, item.reason])
        return (*head, body, None, None, 0, sent_at, MEMBERSHIP, item.user, None)
    if isinstance(item, Tombstone):
        return (*head, item.body, None, None, 0, sent_at, TOMBSTONE, item.replacement, None)
    mentions = json.dumps(list(item.mentions)) if item.mentions else None
    return (
        *head,
        item.body,
        item.thread_id,
        item.edit_of,
        int(item.is_direct),
        sent_at,
        MESSAGE,
        None,
        mentions,
    )


def _queue(conn: sqlite3.Connection, item: Incoming) -> None:
    conn.execute(  # a write: its cursor is finished when it returns
        f"INSERT INTO inbox ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _row(item)
    )


class EventLedger:
    """Which commands and poll answers are waiting, which were handled, and the sync
    position."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._state = state.State(db)
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    async def accept(
        self,
        messages: Sequence[Incoming],
        sync_token: str | None,
        answered: Sequence[Incoming] = (),
        kept: Sequence[Sealed] = (),
        opened: Sequence[EventId] = (),
    ) -> list[Incoming]:
        """Queue the messages and poll answers not seen before and save the sync token, in
        one transaction; `answered` ones (answered while the database could not save) are
        recorded as done, encrypted events not readable yet are `kept`, and those read at
        last (`opened`, their commands and taps among the messages) forgotten.

        Not synced to disk on commit (it is on the path of every answer): if a power cut
        loses it, the token goes with the commands, and the next start fetches them again."""
        now = self._now()

        def work(conn: sqlite3.Connection) -> list[Incoming]:
            for message in answered:
                _finish(conn, message, now)
            sealed.keep_in(conn, kept)
            sealed.forget_in(conn, opened)
            fresh: list[Incoming] = []
            for message in messages:  # one by one: a repeat within the batch is seen too
                if not _seen(conn, message):
                    _queue(conn, message)
                    fresh.append(message)
            if sync_token is not None:
                state.put_in(conn, state.SYNC_TOKEN, sync_token)
            return fresh

        return await self._db.run(work, durable=False)

    async def pending(self) -> list[Incoming]:
        """Commands and poll answers received but not handled yet, oldest first."""
        rows = await self._db.fetchall(f"SELECT {_COLUMNS} FROM inbox ORDER BY sent_at")
        return [_row_to_incoming(tuple(row)) for row in rows]

    async def waiting_until(self, moment: datetime) -> bool:
        """Whether anything sent at or before `moment` is still waiting to be handled."""
        row = await self._db.fetchone(
            "SELECT 1 FROM inbox WHERE sent_at <= ? LIMIT 1", (int(moment.timestamp() * 1000),)
        )
        return row is not None

    async def sealed(self) -> list[Sealed]:
        """Encrypted events kept until their room key comes, oldest first."""
        # A read, not a transaction: a database on a read-only filesystem still starts.
        return sealed.from_rows(await self._db.fetchall(sealed.LOAD))

    async def forget_sealed(self, event_ids: Sequence[EventId]) -> None:
        """Forget encrypted events given up on."""
        await self._db.run(lambda conn: sealed.forget_in(conn, event_ids))

    async def finish(self, message: Incoming) -> None:
        """Record the command (or poll answer) as handled (or skipped) and forget its text."""
        now = self._now()
        await self._db.run(lambda conn: _finish(conn, message, now))

    async def sync_token(self) -> str | None:
        """Where the last synced batch ended, or None before the first sync."""
        return await self._state.get(state.SYNC_TOKEN)
