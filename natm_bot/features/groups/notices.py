"""Who is told what when people join, leave or move up: the person and the coordinators.

A notice goes to someone other than the person who acted, so it is written in the language
of whoever reads it: each person's own, or the group room's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from natm_bot.core.i18n import _, speaking
from natm_bot.core.markdown import md_escape
from natm_bot.core.messages import Reply, RoomId, UserId
from natm_bot.features.groups.service import GroupService
from natm_bot.features.groups.views import bold_name, invitation
from natm_bot.storage.groups import Group

# Where coordinators hear of sign-ups: in the group's room, or by direct message.
NotifyMode = Literal["room", "dm"]

# Writes a notice; called once per language it is read in.
Write = Callable[[], str]


class Languages(Protocol):
    """The language a person, or a room, reads."""

    async def for_person(self, user: str) -> str: ...

    async def for_room(self, room: str) -> str: ...


async def tell_coordinators(
    languages: Languages, mode: NotifyMode, group: Group, write: Write
) -> list[Reply]:
    """Notices for the group's coordinators: in the group room (in its language), or by
    direct message (in each coordinator's)."""
    coordinators = tuple(UserId(c) for c in group.coordinators)
    if not coordinators:
        return []
    if mode == "room" and group.room:
        to = ", ".join(md_escape(c) for c in coordinators)
        with speaking(await languages.for_room(group.room)):
            text = write()
        return [Reply(f"{to}: {text}", to_room=RoomId(group.room), mentions=coordinators)]
    replies = []
    for coordinator in coordinators:
        with speaking(await languages.for_person(coordinator)):
            replies.append(Reply(write(), to_user=coordinator))
    return replies


async def announce_promotions(
    groups: GroupService,
    languages: Languages,
    mode: NotifyMode,
    group: Group,
    promoted: tuple[str, ...],
) -> list[Reply]:
    """Tell people who moved up from the waitlist (and invite them), and the coordinators."""
    replies: list[Reply] = []
    for user in promoted:
        invited = await groups.invite(group, user)
        with speaking(await languages.for_person(user)):
            text = _(
                "Good news: a place freed up and you are now a member of {group}.{invite}"
            ).format(group=bold_name(group), invite=invitation(group, invited))
        replies.append(Reply(text, to_user=UserId(user)))

        def moved_up(user: str = user) -> str:
            return _("{person} moved up from the waitlist.").format(person=md_escape(user))

        replies += await tell_coordinators(languages, mode, group, moved_up)
    return replies
