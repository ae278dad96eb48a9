"""Working groups: finding them by name, joining, leaving, the waitlist, telling coordinators."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated

from natm_bot.config.content import MAX_CAPACITY, GroupSeed
from natm_bot.core.errors import CommandError, NotFound, UsageError
from natm_bot.core.messages import Reply, RoomId, UserId
from natm_bot.core.text import checked, one_line
from natm_bot.core.text import name_key as _key
from natm_bot.engine.rendering import md_escape
from natm_bot.storage.database import Database
from natm_bot.storage.groups import Group, GroupStore, JoinOutcome, LeaveOutcome, Signup

if TYPE_CHECKING:
    from natm_bot.context import Context

log = logging.getLogger(__name__)

__all__ = [
    "Group",
    "GroupArg",
    "GroupChange",
    "GroupService",
    "JoinOutcome",
    "LeaveOutcome",
    "Signup",
]


def slug(name: str) -> str:
    """A short id from a group name: `Algorithm Observatory` → `algorithm-observatory`."""
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:40] or "group"


def from_seed(seed: GroupSeed) -> Group:
    """The stored form of a group declared in data/groups.yaml."""
    return Group(
        id=seed.id,
        name=seed.name,
        description=dict(seed.description),
        room=seed.room,
        capacity=seed.capacity,
        member_list=seed.member_list,
        open=seed.open,
        aliases=tuple(seed.aliases),
        coordinators=tuple(seed.coordinators),
    )


@dataclass(frozen=True)
class GroupChange:
    """A group as an edit would leave it, beside how it is now."""

    before: Group
    after: Group
    field: str


# What data/groups.yaml decides for a group that already exists, and what is run in chat
# (`!group edit`, `close`, `addcoord`…) and only seeded by the file when a group is new.
FILE_OWNS = ("name", "aliases", "description")
CHAT_OWNS = ("coordinators", "capacity", "open", "room", "member_list")
FIELD_NAMES = {"open": "open or closed", "member_list": "member list"}


@dataclass(frozen=True)
class ImportOutcome:
    """What re-reading groups.yaml did: groups created, fields updated from the file, and
    fields kept as set in chat where the file says otherwise (by group name)."""

    total: int
    added: tuple[str, ...] = ()
    updated: tuple[tuple[str, tuple[str, ...]], ...] = ()
    kept: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _merged(current: Group | None, fresh: Group) -> Group:
    """The group after an import: the file's version when it is new, else the stored one
    with what the file owns taken from the file."""
    if current is None:
        return fresh
    owned = {name: getattr(fresh, name) for name in FILE_OWNS}
    return replace(current, **owned)


def _differ(one: Group, other: Group, names: Sequence[str]) -> tuple[str, ...]:
    """The fields (as people call them) where two versions of a group differ; lists compare
    as sets, since the database keeps them sorted."""

    def value(group: Group, name: str) -> object:
        found = getattr(group, name)
        return frozenset(found) if isinstance(found, tuple) else found

    return tuple(
        FIELD_NAMES.get(name, name) for name in names if value(one, name) != value(other, name)
    )


def _refuse_clashes(groups: Mapping[str, Group]) -> None:
    """Names and aliases stay unique across the file and the groups made in chat."""
    owner: dict[str, str] = {}
    for group in groups.values():
        for name in {_key(n) for n in (group.id, group.name, *group.aliases)}:
            if owner.setdefault(name, group.id) != group.id:
                raise CommandError(
                    f"groups.yaml: “{md_escape(name)}” of `{group.id}` is already used by "
                    f"`{owner[name]}`; nothing was changed."
                )


def describe_import(outcome: ImportOutcome, show: Callable[[str], str] = str) -> list[str]:
    """What an import did, a sentence a line; `show` dresses group names (bold in chat)."""

    def listed(entries: Sequence[tuple[str, tuple[str, ...]]]) -> str:
        return ", ".join(f"{show(name)} ({', '.join(fields)})" for name, fields in entries)

    lines = [f"Imported {outcome.total} groups from groups.yaml; sign-ups were kept."]
    if outcome.added:
        lines.append("New: " + ", ".join(show(name) for name in outcome.added) + ".")
    if outcome.updated:
        lines.append(f"Updated from the file: {listed(outcome.updated)}.")
    if outcome.kept:
        lines.append(
            f"Kept as set in chat, where the file says otherwise: {listed(outcome.kept)}. "
            "The file decides names, aliases and descriptions; coordinators, capacity, room, "
            "member list and open or closed are run in chat once a group exists."
        )
    return lines


class GroupService:
    """Everything the bot does with working groups, for commands, the CLI and tests."""

    def __init__(self, db: Database) -> None:
        self.store = GroupStore(db)

    async def seed(self, seeds: Sequence[GroupSeed]) -> int:
        """On first start, create the groups of data/groups.yaml; how many were created."""
        if await self.store.count():
            return 0
        return len((await self.import_seeds(seeds)).added)

    async def import_seeds(self, seeds: Sequence[GroupSeed]) -> ImportOutcome:
        """Create the file's new groups whole; of the others, update only what the file owns
        (FILE_OWNS), keeping what is run in chat. Sign-ups are left alone."""
        current = {g.id: g for g in await self.store.all()}
        planned = {s.id: _merged(current.get(s.id), from_seed(s)) for s in seeds}
        _refuse_clashes({**current, **planned})
        added, updated, kept = [], [], []
        for seed in seeds:
            before, fresh, after = current.get(seed.id), from_seed(seed), planned[seed.id]
            if before is None:
                added.append(after.name)
            elif changed := _differ(before, after, FILE_OWNS):
                updated.append((after.name, changed))
            if before is None or before != after:
                await self.store.save(after)
            if before is not None and (differs := _differ(after, fresh, CHAT_OWNS)):
                kept.append((after.name, differs))
        return ImportOutcome(len(seeds), tuple(added), tuple(updated), tuple(kept))

    async def all(self) -> list[Group]:
        """Every group."""
        return await self.store.all()

    async def resolve(self, text: str) -> Group:
        """The group meant by a name, id, alias or unambiguous prefix of one."""
        wanted = _key(text)
        groups = await self.store.all()
        if not wanted:
            raise UsageError("Which group? " + self.listing(groups))
        names = {g.id: [_key(n) for n in (g.id, g.name, *g.aliases)] for g in groups}
        exact = [g for g in groups if wanted in names[g.id]]
        if exact:
            return exact[0]
        prefixed = [g for g in groups if any(n.startswith(wanted) for n in names[g.id])]
        if len(prefixed) == 1:
            return prefixed[0]
        shown = md_escape(text[:60])
        if prefixed:
            raise UsageError(f"“{shown}” could be several groups. " + self.listing(prefixed))
        raise NotFound(f"There is no group called “{shown}”. " + self.listing(groups))

    @staticmethod
    def listing(groups: Sequence[Group]) -> str:
        """A one-line list of group names and ids to choose from."""
        if not groups:
            return "There are no working groups yet."
        return "Choose one of: " + ", ".join(f"{md_escape(g.name)} (`{g.id}`)" for g in groups)

    async def join(self, group: Group, user_id: str) -> JoinOutcome:
        """Sign a person up (or queue them when the group is full)."""
        return await self.store.join(group, user_id)

    async def leave(self, group: Group, user_id: str) -> LeaveOutcome:
        """Take a person out of a group or its queue; others may move up."""
        return await self.store.leave(group, user_id)

    async def signups(
        self, group_id: str | None = None, user_id: str | None = None
    ) -> list[Signup]:
        """Sign-ups of a group and/or a person."""
        return await self.store.signups(group_id, user_id)

    async def counts(self) -> dict[str, tuple[int, int]]:
        """Per group id: members and people waiting."""
        return await self.store.counts()

    async def is_coordinator(self, user_id: str, group: Group | None = None) -> bool:
        """Coordinates this group (or, with no group given, any group)."""
        if group is not None:
            return user_id in group.coordinators
        return any(user_id in g.coordinators for g in await self.store.all())

    async def create(self, name: str, description: str) -> Group:
        """A new, open group with no coordinators yet."""
        name = one_line(name, "The name")
        description = checked(description, "The description")
        if not 2 <= len(name) <= 80:
            raise UsageError("A group name needs 2 to 80 characters.")
        existing = await self.store.all()
        group_id = slug(name)
        taken = {_key(n) for g in existing for n in (g.id, g.name, *g.aliases)}
        if _key(name) in taken or group_id in {g.id for g in existing}:
            raise UsageError(f"There is already a group called “{md_escape(name)}”.")
        group = Group(id=group_id, name=name, description={"en": description or name})
        await self.store.save(group)
        return group

    async def update(self, group: Group) -> tuple[str, ...]:
        """Store changed fields (name, description, room, capacity, visibility, aliases…);
        who moved up from the waitlist because of a larger capacity."""
        if group.capacity is not None and not 1 <= group.capacity <= MAX_CAPACITY:
            raise UsageError(CAPACITY_RULE)
        every = await self.store.all()
        _check_texts(group, next((g for g in every if g.id == group.id), None))
        others = [g for g in every if g.id != group.id]
        taken = {_key(n) for g in others for n in (g.id, g.name, *g.aliases)}
        clashes = [n for n in (group.name, *group.aliases) if _key(n) in taken]
        if clashes:
            raise UsageError(f"“{md_escape(clashes[0])}” is already used by another group.")
        return await self.store.save(group)


CAPACITY_RULE = f"The capacity must be a whole number from 1 to {MAX_CAPACITY}, or `none`."


def _check_texts(group: Group, stored: Group | None) -> None:
    """UsageError when a new name, alias or description holds a control or bidi character.
    (Only new ones: a group stored by an older version can still be closed or renamed.)"""
    old = stored or Group(id="", name="", description={})
    if group.name != old.name:
        checked(group.name, "The name")
    for alias in set(group.aliases) - set(old.aliases):
        checked(alias, "An alias")
    for lang, text in group.description.items():
        if text != old.description.get(lang):
            checked(text, "The description")


SIGNUP_COLUMNS = ("group", "user_id", "status", "waitlist_position", "joined_at")


def signup_row(signup: Signup) -> dict[str, object]:
    """One sign-up as a row of an export, in the order of SIGNUP_COLUMNS."""
    return {
        "group": signup.group_id,
        "user_id": signup.user_id,
        "status": "waiting" if signup.waiting else "member",
        "waitlist_position": signup.position,
        "joined_at": signup.joined_at.isoformat(),
    }


class GroupLookup:
    """Argument converter: text → Group, by name, alias or prefix."""

    greedy = True  # as the last argument, "algorithm observatory" needs no quotes

    async def convert(self, ctx: Context, text: str) -> Group:
        """Resolve the group or raise a friendly error listing the candidates."""
        return await ctx.app.groups.resolve(text)


GroupArg = Annotated[Group, GroupLookup()]


def bold_name(group: Group) -> str:
    """The group's name in bold, escaped."""
    return f"**{md_escape(group.name)}**"


async def invite_into_room(ctx: Context, group: Group, user: str) -> str:
    """Invite into the group's room; a sentence saying how it went."""
    if not group.room:
        return ""
    try:
        invited = await ctx.app.transport.invite(RoomId(group.room), UserId(user))
    except Exception:
        log.exception("inviting into %s failed", group.room)
        invited = False
    room = md_escape(group.room)
    if invited:
        return f" I've invited you to the group's room, {room}."
    return f" I could not invite you to the group's room ({room}); a coordinator can."


def tell_coordinators(ctx: Context, group: Group, text: str) -> list[Reply]:
    """Notices for the group's coordinators: in the group room, or by direct message."""
    coordinators = tuple(UserId(c) for c in group.coordinators)
    if not coordinators:
        return []
    if ctx.config.groups.notify_coordinators == "room" and group.room:
        to = ", ".join(md_escape(c) for c in coordinators)
        return [Reply(f"{to}: {text}", to_room=RoomId(group.room), mentions=coordinators)]
    return [Reply(text, to_user=c) for c in coordinators]


async def announce_promotions(
    ctx: Context, group: Group, promoted: tuple[str, ...]
) -> list[Reply]:
    """Tell people who moved up from the waitlist (and invite them), and the coordinators."""
    replies: list[Reply] = []
    for user in promoted:
        invite = await invite_into_room(ctx, group, user)
        text = (
            f"Good news: a place freed up and you are now a member of {bold_name(group)}.{invite}"
        )
        replies.append(Reply(text, to_user=UserId(user)))
        replies += tell_coordinators(ctx, group, f"{md_escape(user)} moved up from the waitlist.")
    return replies
