"""Migration step 8: the language a person chose for their replies, and a room's language."""

# A person's row is theirs: `!mydata` shows it and `!forgetme` deletes it. A room's row is
# set by its moderators. No row means: fall back (person → room → the config's default).
LANGUAGES_STEP: tuple[str, ...] = (
    """CREATE TABLE person_languages (
        user_id TEXT PRIMARY KEY,
        lang TEXT NOT NULL CHECK (length(lang) BETWEEN 2 AND 8)
    ) WITHOUT ROWID""",
    """CREATE TABLE room_languages (
        room_id TEXT PRIMARY KEY,
        lang TEXT NOT NULL CHECK (length(lang) BETWEEN 2 AND 8)
    ) WITHOUT ROWID""",
)
