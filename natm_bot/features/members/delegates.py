"""Delegates: the people who speak for a member organisation (one vote each in polls)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from natm_bot.core.errors import CommandError, NotFound
from natm_bot.core.i18n import _
from natm_bot.core.messages import UserId
from natm_bot.engine.rendering import md_escape
from natm_bot.storage.delegates import DelegateStore
from natm_bot.storage.members import Organisation

# Finds a listed organisation by number, or says there is none.
GetOrganisation = Callable[[int], Awaitable[Organisation]]


class Delegates:
    """Adding and removing delegates, and who they are.

    `checkpoint` folds the database's write-ahead log into its file, so a removed
    delegate's id does not linger there."""

    def __init__(
        self,
        store: DelegateStore,
        get: GetOrganisation,
        checkpoint: Callable[[], Awaitable[object]],
    ) -> None:
        self._store = store
        self._get = get
        self._checkpoint = checkpoint

    async def add(self, org: Organisation, user: str) -> bool:
        """Make `user` a delegate of `org`; False when they already were. CommandError
        naming the other organisation when they are the delegate of another one."""
        before = await self._store.of(org.id)
        try:
            held = await self._store.add(org.id, user)
        except KeyError:
            raise NotFound(
                _("There is no member organisation number {number}.").format(number=org.id)
            ) from None
        if held is not None:
            other = await self.organisation_of(user)
            name = f"**{md_escape(other.info.name)}** (#{other.id})" if other else f"#{held}"
            raise CommandError(
                _(
                    "{user} is already the delegate of {org}; a person speaks for one "
                    "organisation only. Remove them there first."
                ).format(user=md_escape(user), org=name)
            )
        return user not in before

    async def remove(self, org: Organisation, user: str) -> None:
        """Stop `user` being a delegate of `org`; CommandError when they were not one."""
        if not await self._store.remove(org.id, user):
            raise CommandError(
                _("{user} is not a delegate of {org}.").format(
                    user=md_escape(user), org=f"**{md_escape(org.info.name)}** (#{org.id})"
                )
            )
        await self._checkpoint()

    async def of(self, org: Organisation) -> tuple[UserId, ...]:
        """The organisation's delegates, the earliest first."""
        return tuple(UserId(user) for user in await self._store.of(org.id))

    async def organisation_of(self, user: str) -> Organisation | None:
        """The organisation `user` is the delegate of, if any."""
        number = await self._store.organisation_of(user)
        if number is None:
            return None
        try:
            return await self._get(number)
        except NotFound:
            return None

    async def delegations(self) -> dict[UserId, int]:
        """Every delegate and the number of the organisation they speak for."""
        return {UserId(user): org for user, org in (await self._store.all()).items()}

    async def organisation_ids(self) -> frozenset[int]:
        """The number of every listed (approved) member organisation."""
        return await self._store.organisation_ids()
