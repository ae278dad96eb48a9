"""What the admins are told of a room followed to its upgrade."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from natm_bot.core.i18n import _, ngettext, speaking
from natm_bot.core.markdown import md_escape
from natm_bot.core.messages import Reply, RoomId, UserId
from natm_bot.features.rooms.upgrades import Move

log = logging.getLogger(__name__)


class Languages(Protocol):
    """The language each person reads."""

    async def for_person(self, user: str) -> str:
        """The language a person reads replies in."""


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


async def admin_notices(
    move: Move | None,
    admins: Sequence[str],
    direct_room: Callable[[UserId], Awaitable[RoomId]],
    languages: Languages,
) -> list[tuple[RoomId, Reply]]:
    """The notice of a move for each admin, in their direct chat and language (none when
    nothing moved)."""
    notes: list[tuple[RoomId, Reply]] = []
    if move is None:
        return notes
    for admin in admins:
        try:
            room = await direct_room(UserId(admin))
        except Exception:  # the others are told all the same
            log.exception("no direct chat with %s to tell of a room upgrade", admin)
            continue
        with speaking(await languages.for_person(admin)):
            notes.append((room, Reply(moved_notice(move))))
    return notes
