"""`natm-bot space create`: make the coalition Space on the bot's account, the admins at
power 100, and say what to put in bot.yaml."""

from __future__ import annotations

from typing import TextIO

from natm_bot.config.settings import Config
from natm_bot.core.errors import UsageError
from natm_bot.core.messages import RoomSpec, UserId
from natm_bot.core.text import one_line
from natm_bot.matrix.roomstate import create_room
from natm_bot.matrix.session import restore
from natm_bot.transport import SendFailed


def space_spec(config: Config, name: str) -> RoomSpec:
    """The Space: its name, joined by invite, the admins invited at 100 (the bot is its
    creator)."""
    return RoomSpec(
        name=name,
        space=True,
        history_visibility="shared",
        join_rule="invite",
        power=tuple((UserId(admin), 100) for admin in config.bot.admins),
        invite=tuple(UserId(admin) for admin in config.bot.admins),
    )


async def create_space(config: Config, name: str, out: TextIO, err: TextIO) -> int:
    """Make the Space with the stored login; print its id and the config line (exit code 1
    and why on stderr when the name is unusable or the homeserver refuses)."""
    try:
        name = one_line(name, "The name")
    except UsageError as exc:
        print(f"natm-bot: {exc}", file=err)
        return 1
    if not 1 <= len(name) <= 80:
        print("natm-bot: the Space's name needs 1 to 80 characters", file=err)
        return 1
    client, _credentials = restore(config)
    try:
        space = await create_room(client, space_spec(config, name))
    except SendFailed as exc:
        print(f"natm-bot: {exc}", file=err)
        return 1
    finally:
        await client.close()
    print(f"Made the Space {name!r}: {space}", file=out)
    print("Put this in bot.yaml and restart the bot:", file=out)
    print(f'spaces:\n  coalition: "{space}"', file=out)
    return 0
