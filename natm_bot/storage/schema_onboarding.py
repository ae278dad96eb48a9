"""Migration step for welcoming newcomers: who was already welcomed (a keyed hash of their
Matrix id, nothing else) and the rooms switched on or off in chat."""

from __future__ import annotations

ONBOARDING_STEP: tuple[str, ...] = (
    # One row per person welcomed: the keyed digest of their Matrix id (the supporters'
    # key), the keyed digest of the join that started it (a join read again after a crash
    # sends the same message again, never a second one), the day of the welcome, when the
    # flow ends (the follow-up is due then), and whether it is still open.
    """CREATE TABLE onboarding_people (
        digest TEXT PRIMARY KEY,
        join_digest TEXT NOT NULL,
        welcomed_on TEXT NOT NULL,
        ends_at INTEGER NOT NULL,
        open INTEGER NOT NULL DEFAULT 1
    ) WITHOUT ROWID""",
    "CREATE INDEX onboarding_people_ends ON onboarding_people (open, ends_at)",
    # `!welcome on|off` by a room's moderators: overrides the config's list of rooms.
    """CREATE TABLE onboarding_rooms (
        room_id TEXT PRIMARY KEY,
        enabled INTEGER NOT NULL,
        changed_at INTEGER NOT NULL
    ) WITHOUT ROWID""",
)
