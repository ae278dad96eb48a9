"""Migration step 4: the members directory, applications to join it, and supporters."""

# Organisations keep no person's Matrix id: `contact` is what the organisation chose to show
# publicly (a room, or a user it named). `name_key` is the case-folded name (folded in Python,
# which handles non-ASCII letters that COLLATE NOCASE does not), so names are unique
# case-insensitively in the schema itself. AUTOINCREMENT: an admin's `approve 12` or
# `remove 12` can never hit a newer row that reused a deleted number.
MEMBERS_STEP: tuple[str, ...] = (
    """CREATE TABLE organisations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL CHECK (length(name) BETWEEN 2 AND 120),
        name_key TEXT NOT NULL UNIQUE,
        category TEXT NOT NULL,
        country TEXT NOT NULL CHECK (length(country) = 2 AND country = upper(country)),
        languages TEXT NOT NULL DEFAULT '',
        website TEXT NOT NULL CHECK (website LIKE 'http://%' OR website LIKE 'https://%'),
        description TEXT NOT NULL CHECK (length(description) <= 600),
        contact TEXT,
        joined TEXT NOT NULL
            CHECK (joined GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]')
    )""",
    "CREATE INDEX organisations_by_category ON organisations (category, name_key)",
    "CREATE INDEX organisations_by_country ON organisations (country, name_key)",
    "CREATE INDEX organisations_by_joined ON organisations (joined, id)",
    # Word search: an FTS5 index over name and description, kept in step by triggers. unicode61
    # with remove_diacritics folds case and accents ("bogota" finds "Bogotá"); the prefix
    # indexes make "netw*" as fast as a whole word.
    """CREATE VIRTUAL TABLE organisations_fts USING fts5 (
        name, description,
        content = 'organisations', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
    )""",
    """CREATE TRIGGER organisations_fts_insert AFTER INSERT ON organisations BEGIN
        INSERT INTO organisations_fts (rowid, name, description)
        VALUES (new.id, new.name, new.description);
    END""",
    """CREATE TRIGGER organisations_fts_delete AFTER DELETE ON organisations BEGIN
        INSERT INTO organisations_fts (organisations_fts, rowid, name, description)
        VALUES ('delete', old.id, old.name, old.description);
    END""",
    """CREATE TRIGGER organisations_fts_update AFTER UPDATE OF name, description
        ON organisations BEGIN
        INSERT INTO organisations_fts (organisations_fts, rowid, name, description)
        VALUES ('delete', old.id, old.name, old.description);
        INSERT INTO organisations_fts (rowid, name, description)
        VALUES (new.id, new.name, new.description);
    END""",
    # Applications waiting for an admin. `applicant` is the only place a person's Matrix id is
    # kept, and only to tell them the outcome: the row is deleted as soon as it is decided.
    """CREATE TABLE member_applications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL CHECK (length(name) BETWEEN 2 AND 120),
        name_key TEXT NOT NULL UNIQUE,
        category TEXT NOT NULL,
        country TEXT NOT NULL CHECK (length(country) = 2 AND country = upper(country)),
        languages TEXT NOT NULL DEFAULT '',
        website TEXT NOT NULL CHECK (website LIKE 'http://%' OR website LIKE 'https://%'),
        description TEXT NOT NULL CHECK (length(description) <= 600),
        contact TEXT,
        applicant TEXT NOT NULL,
        applied_at INTEGER NOT NULL
    )""",
    "CREATE INDEX member_applications_by_applicant ON member_applications (applicant)",
    # Supporters, counted once each without holding who they are: the digest is
    # HMAC-SHA256(supporter key, Matrix id) in hex; no time is kept either.
    """CREATE TABLE supporters (
        digest TEXT PRIMARY KEY CHECK (length(digest) = 64)
    ) WITHOUT ROWID""",
)
