"""Migration step for rooms that moved (an upgrade followed) and the messages showing working
groups that a reaction joins."""

from __future__ import annotations

UPGRADES_STEP: tuple[str, ...] = (
    # A room upgraded and followed: every link moved from `old` to `new` once; what still
    # names the old room (the config) is read through this table.
    """CREATE TABLE room_moves (
        old TEXT PRIMARY KEY,
        new TEXT NOT NULL,
        moved_at INTEGER NOT NULL
    ) WITHOUT ROWID""",
    # The event a `!groups` list (group_id NULL, the groups in the order shown as a JSON
    # list) or a group's card became, so a reaction to it joins; pruned with the retention.
    """CREATE TABLE group_cards (
        event_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        group_id TEXT,
        groups TEXT NOT NULL DEFAULT '[]',
        posted_at INTEGER NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX group_cards_age ON group_cards (posted_at)",
)
