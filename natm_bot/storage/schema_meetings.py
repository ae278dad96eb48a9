"""Migration step for meetings, RSVPs, personal time zones and the announcement ledger."""

from __future__ import annotations

MEETINGS_STEP: tuple[str, ...] = (
    # A meeting's start is kept as the wall-clock time in its own zone, which is what the
    # organiser means; its UTC instants are computed (so DST moves UTC, not the meeting).
    """CREATE TABLE meetings (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        start_local TEXT NOT NULL,
        timezone TEXT NOT NULL,
        duration_minutes INTEGER NOT NULL CHECK (duration_minutes > 0),
        rrule TEXT,
        link TEXT,
        group_id TEXT REFERENCES groups (id) ON DELETE SET NULL,
        rooms TEXT NOT NULL,
        reminders TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        cancelled INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1))
    )""",
    """CREATE TABLE meeting_exceptions (
        meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
        occurrence INTEGER NOT NULL,
        PRIMARY KEY (meeting_id, occurrence)
    ) WITHOUT ROWID""",
    """CREATE TABLE rsvps (
        meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
        occurrence INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        answer TEXT NOT NULL CHECK (answer IN ('yes', 'no', 'maybe')),
        remind INTEGER NOT NULL DEFAULT 0 CHECK (remind IN (0, 1)),
        PRIMARY KEY (meeting_id, occurrence, user_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX rsvps_by_user ON rsvps (user_id)",
    """CREATE TABLE user_settings (
        user_id TEXT PRIMARY KEY,
        timezone TEXT
    ) WITHOUT ROWID""",
    # One row per (what, occurrence, offset, channel): the idempotency key of an announcement.
    """CREATE TABLE announcements (
        source TEXT NOT NULL,
        occurrence INTEGER NOT NULL,
        offset_minutes INTEGER NOT NULL,
        channel TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('sent', 'late', 'missed')),
        recorded_at INTEGER NOT NULL,
        PRIMARY KEY (source, occurrence, offset_minutes, channel)
    ) WITHOUT ROWID""",
    "CREATE INDEX announcements_age ON announcements (recorded_at)",
)

# Step 7: an announcement can fail, and what became of it is kept per room, so "sent in room
# A, refused in room B" can be recorded and shown to organisers.
ANNOUNCEMENT_ROOMS_STEP: tuple[str, ...] = (
    # SQLite cannot change a CHECK constraint in place: the ledger is rebuilt with 'failed'.
    """CREATE TABLE announcements_v7 (
        source TEXT NOT NULL,
        occurrence INTEGER NOT NULL,
        offset_minutes INTEGER NOT NULL,
        channel TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('sent', 'late', 'missed', 'failed')),
        recorded_at INTEGER NOT NULL,
        PRIMARY KEY (source, occurrence, offset_minutes, channel)
    ) WITHOUT ROWID""",
    "INSERT INTO announcements_v7 (source, occurrence, offset_minutes, channel, status,"
    " recorded_at) SELECT source, occurrence, offset_minutes, channel, status, recorded_at"
    " FROM announcements",
    "DROP TABLE announcements",
    "ALTER TABLE announcements_v7 RENAME TO announcements",
    "CREATE INDEX announcements_age ON announcements (recorded_at)",
    # One row per room once its outcome is known. Only rooms: direct-message reminders are
    # not kept per person (that would be a record of who asked for reminders).
    """CREATE TABLE announcement_rooms (
        source TEXT NOT NULL,
        occurrence INTEGER NOT NULL,
        offset_minutes INTEGER NOT NULL,
        channel TEXT NOT NULL,
        room TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('sent', 'late', 'failed')),
        reason TEXT NOT NULL DEFAULT '',
        recorded_at INTEGER NOT NULL,
        PRIMARY KEY (source, occurrence, offset_minutes, channel, room)
    ) WITHOUT ROWID""",
    # The rooms of an announcement go when its ledger row goes (housekeeping prunes by age).
    """CREATE TRIGGER announcement_rooms_follow AFTER DELETE ON announcements
    BEGIN
        DELETE FROM announcement_rooms WHERE source = OLD.source
            AND occurrence = OLD.occurrence AND offset_minutes = OLD.offset_minutes
            AND channel = OLD.channel;
    END""",
)
