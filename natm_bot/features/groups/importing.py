"""Re-reading data/groups.yaml: what the file decides, what chat decides, what changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from natm_bot.config.content import GroupSeed
from natm_bot.core.errors import CommandError
from natm_bot.core.i18n import _
from natm_bot.core.markdown import md_escape
from natm_bot.core.text import name_key as _key
from natm_bot.storage.groups import Group


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


def merged(current: Group | None, fresh: Group) -> Group:
    """The group after an import: the file's version when it is new, else the stored one
    with what the file owns taken from the file."""
    if current is None:
        return fresh
    owned = {name: getattr(fresh, name) for name in FILE_OWNS}
    return replace(current, **owned)


def differ(one: Group, other: Group, names: Sequence[str]) -> tuple[str, ...]:
    """The fields (as people call them) where two versions of a group differ; lists compare
    as sets, since the database keeps them sorted."""

    def value(group: Group, name: str) -> object:
        found = getattr(group, name)
        return frozenset(found) if isinstance(found, tuple) else found

    return tuple(
        FIELD_NAMES.get(name, name) for name in names if value(one, name) != value(other, name)
    )


def refuse_clashes(groups: Mapping[str, Group]) -> None:
    """Names and aliases stay unique across the file and the groups made in chat."""
    owner: dict[str, str] = {}
    for group in groups.values():
        for name in {_key(n) for n in (group.id, group.name, *group.aliases)}:
            if owner.setdefault(name, group.id) != group.id:
                clash = _(
                    "groups.yaml: “{name}” of `{group}` is already used by `{owner}`; "
                    "nothing was changed."
                )
                raise CommandError(
                    clash.format(name=md_escape(name), group=group.id, owner=owner[name])
                )


def plan_import(
    current: Mapping[str, Group], seeds: Sequence[GroupSeed]
) -> tuple[ImportOutcome, list[Group]]:
    """What importing the seeds over the stored groups does, and the groups to save (in the
    file's order). Create the file's new groups whole; of the others, update only what the
    file owns (FILE_OWNS), keeping what is run in chat."""
    planned = {s.id: merged(current.get(s.id), from_seed(s)) for s in seeds}
    refuse_clashes({**current, **planned})
    added, updated, kept, to_save = [], [], [], []
    for seed in seeds:
        before, fresh, after = current.get(seed.id), from_seed(seed), planned[seed.id]
        if before is None:
            added.append(after.name)
        elif changed := differ(before, after, FILE_OWNS):
            updated.append((after.name, changed))
        if before is None or before != after:
            to_save.append(after)
        if before is not None and (differs := differ(after, fresh, CHAT_OWNS)):
            kept.append((after.name, differs))
    outcome = ImportOutcome(len(seeds), tuple(added), tuple(updated), tuple(kept))
    return outcome, to_save
