"""Working groups: finding them by name, joining, leaving, the waitlist, inviting."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from natm_bot.config.content import MAX_CAPACITY, GroupSeed
from natm_bot.core.errors import NotFound, UsageError
from natm_bot.core.i18n import _
from natm_bot.core.markdown import md_escape
from natm_bot.core.messages import RoomId, UserId
from natm_bot.core.text import checked, name_key, one_line
from natm_bot.features.groups.importing import ImportOutcome, plan_import
from natm_bot.features.groups.views import listing
from natm_bot.storage.actions import Action
from natm_bot.storage.groups import Group, GroupStore, JoinOutcome, LeaveOutcome, Signup

log = logging.getLogger(__name__)

__all__ = [
    "Group",
    "GroupChange",
    "GroupService",
    "ImportOutcome",
    "Invite",
    "JoinOutcome",
    "LeaveOutcome",
    "Signup",
]

# Invites a person into a room; whether the homeserver took the invite.
Invite = Callable[[RoomId, UserId], Awaitable[bool]]
# A group's open action items (at most so many), from the meetings it held.
OpenActions = Callable[[str, int], Awaitable[Sequence[Action]]]


# Told when a group's room or capacity changed (its room's join rule follows them).
RoomChanged = Callable[["Group"], Awaitable[object]]


async def _unchanged(group: Group) -> None:
    """Nothing follows a group's room until the app says what (see `room_changed`)."""


# Told after a group is created or changed (the app keeps the coalition Space in line).
Changed = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    """Nothing to tell until the app hands over its listener (see `changed`)."""


async def _no_actions(group_id: str, limit: int) -> Sequence[Action]:
    """No action items until the app hands over the meetings' (see `open_actions`)."""
    return ()


def slug(name: str) -> str:
    """A short id from a group name: `Algorithm Observatory` → `algorithm-observatory`."""
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:40] or "group"


@dataclass(frozen=True)
class GroupChange:
    """A group as an edit would leave it, beside how it is now."""

    before: Group
    after: Group
    field: str


class GroupService:
    """Everything the bot does with working groups, for commands, the CLI and tests."""

    def __init__(self, store: GroupStore, invite: Invite) -> None:
        self._store = store
        self._invite = invite
        self.open_actions: OpenActions = _no_actions  # the app sets the meetings' own
        self.room_changed: RoomChanged = _unchanged  # the app sets the join rules' own
        self.moved_room: Callable[[str], str] = lambda room: room  # a room's upgrade followed

        self.changed: Changed = _nothing  # the app sets the Space keeper's

    async def seed(self, seeds: Sequence[GroupSeed]) -> int:
        """On first start, create the groups of data/groups.yaml; how many were created."""
        if await self._store.count():
            return 0
        return len((await self.import_seeds(seeds)).added)

    async def import_seeds(self, seeds: Sequence[GroupSeed]) -> ImportOutcome:
        """Create the file's new groups whole; of the others, update only what the file owns
        (FILE_OWNS), keeping what is run in chat. Sign-ups are left alone."""
        current = {g.id: g for g in await self._store.all()}
        seeds = [
            s.model_copy(update={"room": self.moved_room(s.room)}) if s.room else s for s in seeds
        ]
        outcome, to_save = plan_import(current, seeds)
        for group in to_save:
            await self._store.save(group)
        if to_save:
            await self.changed()
        return outcome

    async def all(self) -> list[Group]:
        """Every group."""
        return await self._store.all()

    async def resolve(self, text: str) -> Group:
        """The group meant by a name, id, alias or unambiguous prefix of one."""
        wanted = name_key(text)
        groups = await self._store.all()
        if not wanted:
            raise UsageError(_("Which group?") + " " + listing(groups))
        names = {g.id: _keys(g.id, g.name, g.aliases) for g in groups}
        exact = [g for g in groups if wanted in names[g.id]]
        if exact:
            return exact[0]
        prefixed = [g for g in groups if any(n.startswith(wanted) for n in names[g.id])]
        if len(prefixed) == 1:
            return prefixed[0]
        shown = md_escape(text[:60])
        if prefixed:
            several = _("“{typed}” could be several groups.").format(typed=shown)
            raise UsageError(several + " " + listing(prefixed))
        none = _("There is no group called “{typed}”.").format(typed=shown)
        raise NotFound(none + " " + listing(groups))

    async def join(self, group: Group, user_id: str) -> JoinOutcome:
        """Sign a person up (or queue them when the group is full)."""
        return await self._store.join(group, user_id)

    async def leave(self, group: Group, user_id: str) -> LeaveOutcome:
        """Take a person out of a group or its queue; others may move up."""
        return await self._store.leave(group, user_id)

    async def leave_everywhere(self, user_id: str) -> tuple[tuple[str, str], ...]:
        """Take a person out of every group and queue; who moved up, as (group id, person)."""
        promotions: list[tuple[str, str]] = []
        for group in await self._store.all():
            outcome = await self._store.leave(group, user_id)
            promotions += [(group.id, promoted) for promoted in outcome.promoted]
        return tuple(promotions)

    async def invite(self, group: Group, user_id: str) -> bool | None:
        """Invite a person into the group's room: None when the group has no room, else
        whether the invite went out."""
        if not group.room:
            return None
        try:
            return await self._invite(RoomId(group.room), UserId(user_id))
        except Exception:
            log.exception("inviting into %s failed", group.room)
            return False

    async def signups(
        self, group_id: str | None = None, user_id: str | None = None
    ) -> list[Signup]:
        """Sign-ups of a group and/or a person."""
        return await self._store.signups(group_id, user_id)

    async def counts(self) -> dict[str, tuple[int, int]]:
        """Per group id: members and people waiting."""
        return await self._store.counts()

    async def is_coordinator(self, user_id: str, group: Group | None = None) -> bool:
        """Coordinates this group (or, with no group given, any group)."""
        if group is not None:
            return user_id in group.coordinators
        return any(user_id in g.coordinators for g in await self._store.all())

    async def create(self, name: str, description: str, group_id: str | None = None) -> Group:
        """A new, open group with no coordinators yet (its id from the name unless given)."""
        name = one_line(name, _("The name"))
        if group_id is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,39}", group_id):
            bad = _("A group id has 2 to 40 lowercase letters, digits and dashes, like `{id}`.")
            raise UsageError(bad.format(id=slug(name)))
        description = checked(description, _("The description"))
        if not 2 <= len(name) <= 80:
            raise UsageError(_("A group name needs 2 to 80 characters."))
        existing = await self._store.all()
        group_id = group_id or slug(name)
        taken = {name_key(n) for g in existing for n in (g.id, g.name, *g.aliases)}
        if name_key(name) in taken or {group_id, name_key(group_id)} & (
            taken | {g.id for g in existing}
        ):
            taken_name = _("There is already a group called “{name}”.")
            raise UsageError(taken_name.format(name=md_escape(name)))
        group = Group(id=group_id, name=name, description={"en": description or name})
        await self._store.save(group)
        await self.changed()
        return group

    async def update(self, group: Group) -> tuple[str, ...]:
        """Store changed fields (name, description, room, capacity, visibility, aliases…);
        who moved up from the waitlist because of a larger capacity."""
        if group.capacity is not None and not 1 <= group.capacity <= MAX_CAPACITY:
            raise UsageError(capacity_rule())
        every = await self._store.all()
        stored = next((g for g in every if g.id == group.id), None)
        _check_texts(group, stored)
        others = [g for g in every if g.id != group.id]
        taken = {name_key(n) for g in others for n in (g.id, g.name, *g.aliases)}
        clashes = [n for n in (group.name, *group.aliases) if name_key(n) in taken]
        if clashes:
            used = _("“{name}” is already used by another group.")
            raise UsageError(used.format(name=md_escape(clashes[0])))
        promoted = await self._store.save(group)
        if stored is None or (stored.room, stored.capacity) != (group.room, group.capacity):
            try:
                await self.room_changed(group)
            except Exception:
                log.exception("the room of %s could not follow its change", group.id)
        await self.changed()
        return promoted


def capacity_rule() -> str:
    """What a group's capacity may be, in the reader's language."""
    rule = _("The capacity must be a whole number from 1 to {max}, or `none`.")
    return rule.format(max=MAX_CAPACITY)


def _check_texts(group: Group, stored: Group | None) -> None:
    """UsageError when a new name, alias or description holds a control or bidi character.
    (Only new ones: a group stored by an older version can still be closed or renamed.)"""
    old = stored or Group(id="", name="", description={})
    if group.name != old.name:
        checked(group.name, _("The name"))
    for alias in set(group.aliases) - set(old.aliases):
        checked(alias, _("An alias"))
    for lang, text in group.description.items():
        if text != old.description.get(lang):
            checked(text, _("The description"))


@functools.lru_cache(maxsize=1024)
def _keys(group_id: str, name: str, aliases: tuple[str, ...]) -> tuple[str, ...]:
    """The looked-up forms of a group's id, name and aliases, folded once (folding every
    group's names again for each command was most of `!join`'s own time)."""
    return tuple(name_key(n) for n in (group_id, name, *aliases))
