"""How groups read in chat: names, choices, what an import did, invitations."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from natm_bot.core.i18n import _, ngettext
from natm_bot.core.markdown import md_escape
from natm_bot.features.groups.importing import ImportOutcome
from natm_bot.storage.groups import Group


def bold_name(group: Group) -> str:
    """The group's name in bold, escaped."""
    return f"**{md_escape(group.name)}**"


def listing(groups: Sequence[Group]) -> str:
    """A one-line list of group names and ids to choose from."""
    if not groups:
        return _("There are no working groups yet.")
    names = ", ".join(f"{md_escape(g.name)} (`{g.id}`)" for g in groups)
    return _("Choose one of: {names}").format(names=names)


def invitation(group: Group, invited: bool | None) -> str:
    """A sentence saying how inviting into the group's room went (empty: it has no room)."""
    if invited is None or not group.room:
        return ""
    room = md_escape(group.room)
    if invited:
        return " " + _("I've invited you to the group's room, {room}.").format(room=room)
    return " " + _(
        "I could not invite you to the group's room ({room}); a coordinator can."
    ).format(room=room)


def describe_import(outcome: ImportOutcome, show: Callable[[str], str] = str) -> list[str]:
    """What an import did, a sentence a line; `show` dresses group names (bold in chat)."""

    def listed(entries: Sequence[tuple[str, tuple[str, ...]]]) -> str:
        return ", ".join(f"{show(name)} ({', '.join(fields)})" for name, fields in entries)

    imported = ngettext(
        "Imported {count} group from groups.yaml; sign-ups were kept.",
        "Imported {count} groups from groups.yaml; sign-ups were kept.",
        outcome.total,
    )
    lines = [imported.format(count=outcome.total)]
    if outcome.added:
        added = ", ".join(show(name) for name in outcome.added)
        lines.append(_("New: {groups}.").format(groups=added))
    if outcome.updated:
        lines.append(_("Updated from the file: {groups}.").format(groups=listed(outcome.updated)))
    if outcome.kept:
        kept = _(
            "Kept as set in chat, where the file says otherwise: {groups}. The file decides "
            "names, aliases and descriptions; coordinators, capacity, room, member list and "
            "open or closed are run in chat once a group exists."
        )
        lines.append(kept.format(groups=listed(outcome.kept)))
    return lines
