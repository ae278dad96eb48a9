"""Which language a reply is written in: the person's choice, else the room's, else the
config's default. Choices are cached in memory, so a command costs no query once known."""

from __future__ import annotations

import logging
from collections import OrderedDict

from natm_bot.core.i18n import LANGUAGES
from natm_bot.core.messages import Message
from natm_bot.storage import StorageUnavailable
from natm_bot.storage.languages import LanguageStore, Scope

log = logging.getLogger(__name__)

CACHE_SIZE = 4096  # people and rooms remembered at once; the oldest are looked up again


class LanguageService:
    """Reads and keeps the languages people and rooms chose."""

    def __init__(self, store: LanguageStore, default: str) -> None:
        self._store = store
        self.default = default
        self._known: OrderedDict[tuple[Scope, str], str | None] = OrderedDict()

    async def _chosen(self, scope: Scope, key: str) -> str | None:
        """The stored choice (from the cache when it is there)."""
        entry = (scope, key)
        if entry in self._known:
            self._known.move_to_end(entry)
            return self._known[entry]
        try:
            found = await self._store.get(scope, key)
        except StorageUnavailable as exc:
            log.info("language of a %s not read: the database is %s", scope, exc.state)
            return None  # not cached: read again when the database is back
        self._remember(entry, found if found in LANGUAGES else None)
        return self._known[entry]

    def _remember(self, entry: tuple[Scope, str], lang: str | None) -> None:
        self._known[entry] = lang
        self._known.move_to_end(entry)
        while len(self._known) > CACHE_SIZE:
            self._known.popitem(last=False)

    async def person_choice(self, user: str) -> str | None:
        """The language the person chose, if they did."""
        return await self._chosen("person", user)

    async def room_choice(self, room: str) -> str | None:
        """The language the room's moderators set, if they did."""
        return await self._chosen("room", room)

    async def for_person(self, user: str) -> str:
        """The language of direct messages to a person."""
        return await self.person_choice(user) or self.default

    async def for_room(self, room: str) -> str:
        """The language of announcements in a room."""
        return await self.room_choice(room) or self.default

    async def for_message(self, message: Message) -> str:
        """The language of the replies to a message."""
        chosen = await self.person_choice(message.sender) or await self.room_choice(
            message.room_id
        )
        return chosen or self.default

    async def choose(self, user: str, lang: str) -> None:
        """Keep the person's choice."""
        await self._store.put("person", user, lang)
        self._remember(("person", user), lang)

    async def set_room(self, room: str, lang: str) -> None:
        """Keep the room's language."""
        await self._store.put("room", room, lang)
        self._remember(("room", room), lang)

    def forgotten(self, user: str) -> None:
        """The person's data was erased: forget their choice here too."""
        self._known.pop(("person", user), None)
