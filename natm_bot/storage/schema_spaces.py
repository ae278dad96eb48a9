"""Migration step for the coalition Space: the children the bot added to it, and the rooms
it made for working groups."""

from __future__ import annotations

SPACES_STEP: tuple[str, ...] = (
    # The `m.space.child` entries the bot added to a Space (`via`: a JSON list of servers).
    # Only these are ever removed by the bot: a child a person added is not listed here.
    """CREATE TABLE space_children (
        space_id TEXT NOT NULL,
        child_id TEXT NOT NULL,
        via TEXT NOT NULL,
        suggested INTEGER NOT NULL DEFAULT 0 CHECK (suggested IN (0, 1)),
        added_at INTEGER NOT NULL,
        PRIMARY KEY (space_id, child_id)
    ) WITHOUT ROWID""",
    # The rooms the bot made for a working group (`!group create … room=new`): closing the
    # group leaves (or archives) only these.
    """CREATE TABLE made_rooms (
        room_id TEXT PRIMARY KEY,
        group_id TEXT NOT NULL,
        made_at INTEGER NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX made_rooms_by_group ON made_rooms (group_id)",
)
