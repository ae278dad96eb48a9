"""Supporters: people counted once each under a keyed digest of their Matrix id."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable

from natm_bot.storage.members import MemberStore
from natm_bot.storage.state import SUPPORTER_KEY, State

log = logging.getLogger(__name__)


class Supporters:
    """Declaring and withdrawing support, and the count; no one's id is ever stored.

    `checkpoint` folds the database's write-ahead log into its file, so a withdrawn
    digest does not linger there."""

    def __init__(
        self,
        store: MemberStore,
        state: State,
        checkpoint: Callable[[], Awaitable[object]],
    ) -> None:
        self._store = store
        self._state = state
        self._checkpoint = checkpoint
        self._key: bytes | None = None

    async def ensure_key(self, configured: str | None) -> None:
        """Use the configured key, else the one stored in the database (made on first start)."""
        stored = await self._state.get(SUPPORTER_KEY)
        if configured:
            if stored is not None and await self._store.supporter_count():
                log.warning(
                    "movement.supporter_key is set, but supporters were counted with the key"
                    " generated earlier: they will be counted again if they repeat !support"
                )
            self._key = configured.encode()
            return
        if stored is None:
            stored = await self._state.keep(SUPPORTER_KEY, secrets.token_hex(32))
        self._key = stored.encode()

    def digest(self, user: str) -> str:
        """The keyed digest that stands for the person among supporters."""
        if self._key is None:
            raise RuntimeError("the supporter key is not loaded: call ensure_supporter_key")
        return hmac.new(self._key, user.encode(), hashlib.sha256).hexdigest()

    async def is_supporter(self, user: str) -> bool:
        """Whether the person declared support (looked up by digest)."""
        return await self._store.has_supporter(self.digest(user))

    async def support(self, user: str) -> bool:
        """Count a person as a supporter; False when they already were one."""
        return await self._store.add_supporter(self.digest(user))

    async def withdraw(self, user: str) -> bool:
        """Stop counting a person as a supporter; False when they were not one."""
        withdrawn = await self._store.remove_supporter(self.digest(user))
        if withdrawn:
            await self._checkpoint()
        return withdrawn

    async def count(self) -> int:
        """How many people declared their support."""
        return await self._store.supporter_count()
