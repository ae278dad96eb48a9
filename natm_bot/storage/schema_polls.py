"""Migration step 12: polls, who may vote in each, the votes cast, and the reminders sent.

A poll keeps its electorate as it was when it opened (room members' Matrix ids, or for a
secret ballot keyed digests only; or `org:<id>` for the member organisations) and every vote
as cast; both go once the outcome is posted, which keeps the counts. `source` is the event
of the command that opened the poll: the same command read again gives the same poll.
"""

POLLS_STEP: tuple[str, ...] = (
    """CREATE TABLE polls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        room_id TEXT NOT NULL,
        creator TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('proposal', 'choice', 'multiple', 'time')),
        question TEXT NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
        options TEXT NOT NULL,
        max_choices INTEGER NOT NULL CHECK (max_choices >= 1),
        quorum TEXT NOT NULL DEFAULT '',
        threshold TEXT NOT NULL DEFAULT '',
        voters TEXT NOT NULL CHECK (voters IN ('room', 'organisations')),
        hidden INTEGER NOT NULL CHECK (hidden IN (0, 1)),
        secret INTEGER NOT NULL CHECK (secret IN (0, 1)),
        timezone TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        closes_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed', 'cancelled')),
        poll_event TEXT,
        outcome TEXT,
        posted INTEGER NOT NULL DEFAULT 0 CHECK (posted IN (0, 1)),
        source TEXT NOT NULL UNIQUE
    )""",
    "CREATE INDEX polls_due ON polls (state, closes_at)",
    "CREATE INDEX polls_by_room ON polls (room_id, id)",
    "CREATE UNIQUE INDEX polls_by_event ON polls (poll_event) WHERE poll_event IS NOT NULL",
    """CREATE TABLE poll_electorate (
        poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
        voter TEXT NOT NULL,
        PRIMARY KEY (poll_id, voter)
    ) WITHOUT ROWID""",
    """CREATE TABLE poll_votes (
        poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
        event TEXT NOT NULL,
        voter TEXT NOT NULL,
        person TEXT NOT NULL DEFAULT '',
        choices TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
        at INTEGER NOT NULL,
        PRIMARY KEY (poll_id, event)
    ) WITHOUT ROWID""",
    "CREATE INDEX poll_votes_by_voter ON poll_votes (poll_id, voter)",
    "CREATE INDEX poll_votes_by_person ON poll_votes (person)",
    """CREATE TABLE poll_reminders (
        poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
        before_s INTEGER NOT NULL,
        PRIMARY KEY (poll_id, before_s)
    ) WITHOUT ROWID""",
)
