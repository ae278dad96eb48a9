"""What the admins are told of a room followed to its upgrade."""

from __future__ import annotations

from natm_bot.core.i18n import _, ngettext
from natm_bot.core.markdown import md_escape
from natm_bot.features.rooms.upgrades import Move


def moved_notice(move: Move) -> str:
    """The notice to each admin: which room moved where, and how many links went with it."""
    links = ngettext(
        "{count} link (a group room, a meeting room or a room language) moved with it.",
        "{count} links (group rooms, meeting rooms, room languages) moved with it.",
        move.links,
    ).format(count=move.links)
    head = _("The room {old} was upgraded: I joined its replacement {new}.").format(
        old=md_escape(move.old), new=md_escape(move.new)
    )
    return head + " " + links
