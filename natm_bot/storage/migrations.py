"""The schema as an ordered list of steps. Never edit a released step: append a new one."""

from __future__ import annotations

# Each step runs inside one BEGIN IMMEDIATE … COMMIT together with its user_version bump,
# so a crash mid-migration leaves the previous version intact.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: events already handled (for exactly-once replies) and small named state values.
    (
        """CREATE TABLE processed_events (
            event_id TEXT PRIMARY KEY,
            room_id TEXT NOT NULL,
            handled_at INTEGER NOT NULL
        ) WITHOUT ROWID""",
        "CREATE INDEX processed_events_age ON processed_events (handled_at)",
        """CREATE TABLE state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID""",
    ),
    # 2: commands received but not yet answered, so that none is lost across a crash. Rows
    # leave as soon as the command is answered (or skipped), keeping no message text.
    (
        """CREATE TABLE inbox (
            event_id TEXT PRIMARY KEY,
            room_id TEXT NOT NULL,
            sender TEXT NOT NULL,
            body TEXT NOT NULL,
            thread_id TEXT,
            edit_of TEXT,
            is_direct INTEGER NOT NULL,
            sent_at INTEGER NOT NULL
        ) WITHOUT ROWID""",
    ),
)
