"""The ledger of received commands: at-least-once intake, exactly-once answers."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from natm_bot.core.clock import Clock
from natm_bot.core.messages import EventId, Message, RoomId, UserId
from natm_bot.storage import sealed, state
from natm_bot.storage.database import Database
from natm_bot.storage.sealed import Sealed

_COLUMNS = "event_id, room_id, sender, body, thread_id, edit_of, is_direct, sent_at"


def _row_to_message(row: tuple[object, ...]) -> Message:
    event_id, room_id, sender, body, thread_id, edit_of, is_direct, sent_at = row
    return Message(
        room_id=RoomId(str(room_id)),
        sender=UserId(str(sender)),
        body=str(body),
        event_id=EventId(str(event_id)),
        thread_id=EventId(str(thread_id)) if thread_id else None,
        is_direct=bool(is_direct),
        timestamp=datetime.fromtimestamp(int(str(sent_at)) / 1000, UTC),
        edit_of=EventId(str(edit_of)) if edit_of else None,
    )


def _keys(message: Message) -> list[EventId]:
    """The ledger keys of a command: its event, and for an edit the event it edits."""
    keys = [message.event_id]
    if message.edit_of:
        keys.append(EventId(f"edit:{message.edit_of}"))
    return keys


def _finish(conn: sqlite3.Connection, message: Message, now: int) -> None:
    conn.execute("DELETE FROM inbox WHERE event_id = ?", (message.event_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO processed_events (event_id, room_id, handled_at) VALUES (?, ?, ?)",
        [(key, message.room_id, now) for key in _keys(message)],
    )


def _seen(conn: sqlite3.Connection, message: Message) -> bool:
    """Whether the command (or an earlier version of its edit) was received before."""
    keys = _keys(message)
    placeholders = ",".join("?" * len(keys))
    return bool(
        conn.execute(
            f"SELECT 1 FROM processed_events WHERE event_id IN ({placeholders}) "
            f"UNION ALL SELECT 1 FROM inbox WHERE event_id = ? "
            f"OR (edit_of IS NOT NULL AND edit_of = ?)",
            (*keys, message.event_id, message.edit_of or ""),
        ).fetchall()
    )


def _queue(conn: sqlite3.Connection, message: Message) -> None:
    conn.execute(  # a write: its cursor is finished when it returns
        f"INSERT INTO inbox ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            message.event_id,
            message.room_id,
            message.sender,
            message.body,
            message.thread_id,
            message.edit_of,
            int(message.is_direct),
            int(message.timestamp.timestamp() * 1000),
        ),
    )


class EventLedger:
    """Which commands are waiting, which were answered, and the sync position."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._state = state.State(db)
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    async def accept(
        self,
        messages: Sequence[Message],
        sync_token: str | None,
        answered: Sequence[Message] = (),
        kept: Sequence[Sealed] = (),
        opened: Sequence[EventId] = (),
    ) -> list[Message]:
        """Queue the messages not seen before and save the sync token, in one transaction;
        `answered` ones (answered while the database could not save) are recorded as done,
        encrypted events not readable yet are `kept`, and those read at last (`opened`, their
        commands among the messages) forgotten.

        Not synced to disk on commit (it is on the path of every answer): if a power cut
        loses it, the token goes with the commands, and the next start fetches them again."""
        now = self._now()

        def work(conn: sqlite3.Connection) -> list[Message]:
            for message in answered:
                _finish(conn, message, now)
            sealed.keep_in(conn, kept)
            sealed.forget_in(conn, opened)
            fresh: list[Message] = []
            for message in messages:  # one by one: a repeat within the batch is seen too
                if not _seen(conn, message):
                    _queue(conn, message)
                    fresh.append(message)
            if sync_token is not None:
                state.put_in(conn, state.SYNC_TOKEN, sync_token)
            return fresh

        return await self._db.run(work, durable=False)

    async def pending(self) -> list[Message]:
        """Commands received but not answered yet, oldest first."""
        rows = await self._db.fetchall(f"SELECT {_COLUMNS} FROM inbox ORDER BY sent_at")
        return [_row_to_message(tuple(row)) for row in rows]

    async def sealed(self) -> list[Sealed]:
        """Encrypted events kept until their room key comes, oldest first."""
        # A read, not a transaction: a database on a read-only filesystem still starts.
        return sealed.from_rows(await self._db.fetchall(sealed.LOAD))

    async def forget_sealed(self, event_ids: Sequence[EventId]) -> None:
        """Forget encrypted events given up on."""
        await self._db.run(lambda conn: sealed.forget_in(conn, event_ids))

    async def finish(self, message: Message) -> None:
        """Record the command as answered (or skipped) and forget its text."""
        now = self._now()
        await self._db.run(lambda conn: _finish(conn, message, now))

    async def sync_token(self) -> str | None:
        """Where the last synced batch ended, or None before the first sync."""
        return await self._state.get(state.SYNC_TOKEN)
