"""The schema as an ordered list of steps. Never edit a released step: append a new one."""

from __future__ import annotations

from natm_bot.storage.schema_cycle import CYCLE_STEP
from natm_bot.storage.schema_joins import JOINS_STEP
from natm_bot.storage.schema_languages import LANGUAGES_STEP
from natm_bot.storage.schema_meetings import ANNOUNCEMENT_ROOMS_STEP, MEETINGS_STEP
from natm_bot.storage.schema_members import MEMBERS_STEP
from natm_bot.storage.schema_onboarding import ONBOARDING_STEP
from natm_bot.storage.schema_polls import POLLS_STEP
from natm_bot.storage.schema_spaces import SPACES_STEP
from natm_bot.storage.schema_statements import STATEMENTS_STEP
from natm_bot.storage.schema_upgrades import UPGRADES_STEP
from natm_bot.storage.sealed import SEALED_STEP

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
    # 3: working groups and sign-ups. A sign-up keeps the person's Matrix id, the group, when,
    # and whether they hold a place or wait for one; the waitlist order is the sign-up order.
    (
        """CREATE TABLE groups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            description TEXT NOT NULL,
            room TEXT,
            capacity INTEGER CHECK (capacity IS NULL OR capacity >= 1),
            member_list TEXT NOT NULL DEFAULT 'coordinators'
                CHECK (member_list IN ('coordinators', 'public')),
            open INTEGER NOT NULL DEFAULT 1 CHECK (open IN (0, 1)),
            created_at INTEGER NOT NULL
        )""",
        """CREATE TABLE group_aliases (
            alias TEXT PRIMARY KEY COLLATE NOCASE,
            group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE
        )""",
        """CREATE TABLE group_coordinators (
            group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
            user_id TEXT NOT NULL,
            PRIMARY KEY (group_id, user_id)
        ) WITHOUT ROWID""",
        """CREATE TABLE signups (
            id INTEGER PRIMARY KEY,
            group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
            user_id TEXT NOT NULL,
            joined_at INTEGER NOT NULL,
            waiting INTEGER NOT NULL DEFAULT 0 CHECK (waiting IN (0, 1)),
            UNIQUE (group_id, user_id)
        )""",
        "CREATE INDEX signups_by_user ON signups (user_id)",
        "CREATE INDEX signups_queue ON signups (group_id, waiting, id)",
    ),
    # 4: the members directory (with word search), applications to it, and supporters.
    MEMBERS_STEP,
    # 5: meetings, cancelled occurrences, RSVPs, personal time zones, announcement ledger.
    MEETINGS_STEP,
    # 6: the audit log of privileged actions (who, what, when).
    (
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            command TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX audit_log_by_actor ON audit_log (actor)",
    ),
    # 7: announcements that failed, and what became of each announcement in each room.
    ANNOUNCEMENT_ROOMS_STEP,
    # 8: the language a person chose for their replies, and each room's language.
    LANGUAGES_STEP,
    # 9: encrypted events not readable yet, kept until their room key comes (or given up).
    SEALED_STEP,
    # 10: the inbox holds more than typed messages (taps on native polls now; reactions and
    # the like later): what each row is (`kind`; a poll answer keeps its answer ids as a JSON
    # list in `body`) and the event it refers to (`relates_to`: the poll it answers). `kind`
    # is checked by the code that writes it, not by the schema, so a new kind needs no
    # rebuilt table.
    (
        "ALTER TABLE inbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'message'",
        "ALTER TABLE inbox ADD COLUMN relates_to TEXT",
    ),
    # 11: the delegates of member organisations, who vote for them in polls. A person is the
    # delegate of one organisation at most (the primary key); an organisation taken off the
    # directory takes its delegations with it.
    (
        """CREATE TABLE organisation_delegates (
            user_id TEXT PRIMARY KEY,
            organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
            added_at INTEGER NOT NULL
        ) WITHOUT ROWID""",
        "CREATE INDEX organisation_delegates_by_organisation"
        " ON organisation_delegates (organisation_id, added_at)",
    ),
    # 12: polls, who may vote in each, the votes cast, and the reminders sent.
    POLLS_STEP,
    # 13: the meeting cycle: answers by reaction, the event each announcement became (the
    # occurrence's thread), agendas, minutes, action items; a message's mentions.
    CYCLE_STEP,
    # 14: the coalition Space: the children the bot added to it, the rooms it made.
    SPACES_STEP,
    # 15: group rooms whose version cannot knock, noted once each.
    JOINS_STEP,
    # 16: rooms that moved to their upgrade, and the lists and cards of groups joined by
    # reaction.
    UPGRADES_STEP,
    # 17: newcomers welcomed (a keyed hash of their id), and rooms switched on or off.
    ONBOARDING_STEP,
    # 18: statements that member organisations endorse, people's support of them (a keyed
    # hash per statement), milestones announced once, and the cards a ✍️ endorses.
    STATEMENTS_STEP,
)
