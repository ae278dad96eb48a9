"""Who is told what when people join, leave or move up: the person and the coordinators."""

from __future__ import annotations

from typing import Literal

from natm_bot.core.markdown import md_escape
from natm_bot.core.messages import Reply, RoomId, UserId
from natm_bot.features.groups.service import GroupService
from natm_bot.features.groups.views import bold_name, invitation
from natm_bot.storage.groups import Group

# Where coordinators hear of sign-ups: in the group's room, or by direct message.
NotifyMode = Literal["room", "dm"]


def tell_coordinators(mode: NotifyMode, group: Group, text: str) -> list[Reply]:
    """Notices for the group's coordinators: in the group room, or by direct message."""
    coordinators = tuple(UserId(c) for c in group.coordinators)
    if not coordinators:
        return []
    if mode == "room" and group.room:
        to = ", ".join(md_escape(c) for c in coordinators)
        return [Reply(f"{to}: {text}", to_room=RoomId(group.room), mentions=coordinators)]
    return [Reply(text, to_user=c) for c in coordinators]


async def announce_promotions(
    groups: GroupService, mode: NotifyMode, group: Group, promoted: tuple[str, ...]
) -> list[Reply]:
    """Tell people who moved up from the waitlist (and invite them), and the coordinators."""
    replies: list[Reply] = []
    for user in promoted:
        invite = invitation(group, await groups.invite(group, user))
        text = (
            f"Good news: a place freed up and you are now a member of {bold_name(group)}.{invite}"
        )
        replies.append(Reply(text, to_user=UserId(user)))
        replies += tell_coordinators(mode, group, f"{md_escape(user)} moved up from the waitlist.")
    return replies
