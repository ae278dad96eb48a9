"""Migration step for statements that member organisations endorse: the statements and their
versions' texts per language, the organisations' endorsements, people's support (a keyed
digest per statement, nothing else), the milestones reached and announced, and the cards
that a ✍️ reaction endorses."""

from __future__ import annotations

STATEMENTS_STEP: tuple[str, ...] = (
    # A statement: its id as typed by the admin, its title, the language its text was first
    # written in (the original), its current version and when that version was made.
    """CREATE TABLE statements (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        language TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
        created_at INTEGER NOT NULL,
        versioned_at INTEGER NOT NULL
    ) WITHOUT ROWID""",
    # The text of each version in each language (the original and its translations).
    """CREATE TABLE statement_texts (
        statement_id TEXT NOT NULL REFERENCES statements (id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        language TEXT NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (statement_id, version, language)
    ) WITHOUT ROWID""",
    # An organisation's endorsement: the latest version it endorsed or confirmed, whether
    # its name is shown publicly, and which delegate acted last (erased by `!forgetme`: the
    # endorsement is the organisation's and stays).
    """CREATE TABLE statement_endorsements (
        statement_id TEXT NOT NULL REFERENCES statements (id) ON DELETE CASCADE,
        organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        public INTEGER NOT NULL CHECK (public IN (0, 1)),
        endorsed_at INTEGER NOT NULL,
        acted_by TEXT,
        PRIMARY KEY (statement_id, organisation_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX statement_endorsements_by_actor ON statement_endorsements (acted_by)",
    # A person's support of one statement: a keyed digest of statement and person only.
    """CREATE TABLE statement_supporters (
        statement_id TEXT NOT NULL REFERENCES statements (id) ON DELETE CASCADE,
        digest TEXT NOT NULL,
        PRIMARY KEY (statement_id, digest)
    ) WITHOUT ROWID""",
    # A milestone reached (a number of endorsing organisations), and each room it was
    # announced in (marked after sending: a crash in between sends again with the same
    # transaction id, which the homeserver de-duplicates).
    """CREATE TABLE statement_milestones (
        statement_id TEXT NOT NULL REFERENCES statements (id) ON DELETE CASCADE,
        milestone INTEGER NOT NULL,
        reached_at INTEGER NOT NULL,
        PRIMARY KEY (statement_id, milestone)
    ) WITHOUT ROWID""",
    """CREATE TABLE statement_milestone_rooms (
        statement_id TEXT NOT NULL,
        milestone INTEGER NOT NULL,
        room_id TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        PRIMARY KEY (statement_id, milestone, room_id),
        FOREIGN KEY (statement_id, milestone)
            REFERENCES statement_milestones (statement_id, milestone) ON DELETE CASCADE
    ) WITHOUT ROWID""",
    # The events a statement's card became: a ✍️ reaction to one endorses the statement.
    """CREATE TABLE statement_cards (
        event_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        statement_id TEXT NOT NULL REFERENCES statements (id) ON DELETE CASCADE,
        posted_at INTEGER NOT NULL
    ) WITHOUT ROWID""",
)
