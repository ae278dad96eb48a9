"""Migration step for joining group rooms: the rooms whose version cannot knock, so that
the bot says so once per room, not at every start."""

from __future__ import annotations

JOINS_STEP: tuple[str, ...] = (
    # A group room too old for the join rule its group wants keeps its rule (people get in
    # by invitation); noted the first time, with the version seen then.
    """CREATE TABLE join_rule_fallbacks (
        room_id TEXT PRIMARY KEY,
        room_version TEXT NOT NULL,
        noted_at INTEGER NOT NULL
    ) WITHOUT ROWID""",
)
