"""The languages people and rooms chose for the bot's replies."""

from __future__ import annotations

from typing import Final, Literal

from natm_bot.storage.database import Database

Scope = Literal["person", "room"]

_TABLES: Final = {"person": ("person_languages", "user_id"), "room": ("room_languages", "room_id")}


class LanguageStore:
    """One language per person and per room, or none (the default applies)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, scope: Scope, key: str) -> str | None:
        """The language chosen for a person or a room, if any."""
        table, column = _TABLES[scope]
        row = await self._db.fetchone(f"SELECT lang FROM {table} WHERE {column} = ?", (key,))
        return str(row[0]) if row else None

    async def put(self, scope: Scope, key: str, lang: str) -> None:
        """Keep `lang` for a person or a room, replacing an earlier choice."""
        table, column = _TABLES[scope]
        await self._db.execute(
            f"INSERT INTO {table} ({column}, lang) VALUES (?, ?)"
            f" ON CONFLICT ({column}) DO UPDATE SET lang = excluded.lang",
            (key, lang),
        )
