"""Groups as command arguments: a name, id, alias or prefix typed in chat → the Group."""

from __future__ import annotations

from typing import Annotated, Protocol

from natm_bot.storage.groups import Group


class GroupFinder(Protocol):
    """Finds the group a person meant."""

    async def resolve(self, text: str) -> Group:
        """The group meant by `text`, or a friendly error listing the candidates."""


class _WithGroups(Protocol):
    @property
    def groups(self) -> GroupFinder: ...


class GroupContext(Protocol):
    """What the converter needs of a command's context."""

    @property
    def app(self) -> _WithGroups: ...


class GroupLookup:
    """Argument converter: text → Group, by name, alias or prefix."""

    greedy = True  # as the last argument, "algorithm observatory" needs no quotes
    target = True  # what a command acts on: one that does not exist is judged as out of reach

    async def convert(self, ctx: GroupContext, text: str) -> Group:
        """Resolve the group or raise a friendly error listing the candidates."""
        return await ctx.app.groups.resolve(text)


GroupArg = Annotated[Group, GroupLookup()]
