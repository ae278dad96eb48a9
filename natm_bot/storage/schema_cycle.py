"""Migration step for what happens around a meeting: answers by reaction, the events each
announcement became (the thread of an occurrence), agendas, minutes and action items."""

from __future__ import annotations

CYCLE_STEP: tuple[str, ...] = (
    # A meeting posts its occurrence's announcements in one thread unless told not to, and
    # says who may add to its agenda.
    "ALTER TABLE meetings ADD COLUMN threads INTEGER NOT NULL DEFAULT 1 CHECK (threads IN (0, 1))",
    "ALTER TABLE meetings ADD COLUMN agenda_by TEXT NOT NULL DEFAULT 'anyone'"
    " CHECK (agenda_by IN ('anyone', 'organisers'))",
    # The event an announcement became in each room: what a reaction answers, and the root of
    # the occurrence's thread. A resend after a crash has the same txn id, so the same event.
    "ALTER TABLE announcement_rooms ADD COLUMN event_id TEXT",
    "CREATE INDEX announcement_rooms_by_event ON announcement_rooms (event_id)"
    " WHERE event_id IS NOT NULL",
    # An answer given by a reaction keeps that reaction's event (`via`), so taking the
    # reaction back takes back that answer and no other; NULL for an answer typed.
    "ALTER TABLE rsvps ADD COLUMN via TEXT",
    # The reactions that stand (not taken back): when the one giving the answer goes, the
    # person's latest remaining one answers instead.
    """CREATE TABLE rsvp_reactions (
        event_id TEXT PRIMARY KEY,
        meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
        occurrence INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        answer TEXT NOT NULL CHECK (answer IN ('yes', 'no', 'maybe')),
        reacted_at INTEGER NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX rsvp_reactions_by_person"
    " ON rsvp_reactions (meeting_id, occurrence, user_id, reacted_at)",
    "CREATE INDEX rsvp_reactions_by_user ON rsvp_reactions (user_id)",
    # The agenda of an occurrence, in the order its items were added.
    """CREATE TABLE agenda_items (
        id INTEGER PRIMARY KEY,
        meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
        occurrence INTEGER NOT NULL,
        author TEXT,
        text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
        added_at INTEGER NOT NULL,
        source_event TEXT UNIQUE
    )""",
    "CREATE INDEX agenda_items_by_occurrence ON agenda_items (meeting_id, occurrence, id)",
    "CREATE INDEX agenda_items_by_author ON agenda_items (author) WHERE author IS NOT NULL",
    # An occurrence that was held: when it ended (by `endmeeting` or on its own) and when its
    # minutes were posted (NULL until then: the posting job takes it up after a restart).
    """CREATE TABLE meeting_sessions (
        meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
        occurrence INTEGER NOT NULL,
        ended_at INTEGER NOT NULL,
        ended_by TEXT,
        posted_at INTEGER,
        PRIMARY KEY (meeting_id, occurrence)
    ) WITHOUT ROWID""",
    "CREATE INDEX meeting_sessions_unposted ON meeting_sessions (ended_at)"
    " WHERE posted_at IS NULL",
    # The lines of minutes, keyed by the event that said them (a repeat records nothing).
    # `speaker_name` is the display name the public page shows; `undone` marks a line `#undo`
    # took back.
    """CREATE TABLE minute_lines (
        event_id TEXT PRIMARY KEY,
        meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
        occurrence INTEGER NOT NULL,
        room_id TEXT NOT NULL,
        sender TEXT,
        speaker_name TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('topic', 'info', 'agreed', 'action')),
        text TEXT NOT NULL,
        owner TEXT,
        due TEXT,
        said_at INTEGER NOT NULL,
        undone INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1))
    ) WITHOUT ROWID""",
    "CREATE INDEX minute_lines_by_occurrence ON minute_lines (meeting_id, occurrence, said_at)",
    "CREATE INDEX minute_lines_by_sender ON minute_lines (sender) WHERE sender IS NOT NULL",
    "CREATE INDEX minute_lines_by_owner ON minute_lines (owner) WHERE owner IS NOT NULL",
    # Action items: from an `#action` line of minutes (`source_event`), kept when the meeting
    # goes; `owner` NULL is an unassigned action; `reminded` is set once the owner was told
    # on the due date.
    """CREATE TABLE actions (
        id INTEGER PRIMARY KEY,
        meeting_id INTEGER REFERENCES meetings (id) ON DELETE SET NULL,
        occurrence INTEGER,
        group_id TEXT REFERENCES groups (id) ON DELETE SET NULL,
        owner TEXT,
        text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
        due TEXT,
        created_at INTEGER NOT NULL,
        done_at INTEGER,
        done_by TEXT,
        reminded INTEGER NOT NULL DEFAULT 0 CHECK (reminded IN (0, 1)),
        source_event TEXT UNIQUE
    )""",
    "CREATE INDEX actions_by_owner ON actions (owner, done_at) WHERE owner IS NOT NULL",
    "CREATE INDEX actions_by_group ON actions (group_id, done_at) WHERE group_id IS NOT NULL",
    "CREATE INDEX actions_to_remind ON actions (due)"
    " WHERE done_at IS NULL AND reminded = 0 AND due IS NOT NULL",
    # A message's mentions (as Element sends a pill), for the owner of an `#action` line.
    "ALTER TABLE inbox ADD COLUMN mentions TEXT",
)
