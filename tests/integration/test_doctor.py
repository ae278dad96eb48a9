"""`natm-bot doctor` against a real homeserver: all well, and each problem with its fix."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Awaitable, Callable

from nio import RoomCreateResponse

from natm_bot.storage.migrations import MIGRATIONS
from natm_bot.testing.devserver import LocalSynapse
from tests.integration.conftest import BotFactory
from tests.integration.people import BotProcess, Person

People = Callable[[str], Awaitable[Person]]
RAISE_IT = "raise the bot's power level in the room's settings, or lower what is needed"


async def doctor(bot: BotProcess) -> tuple[int, list[str]]:
    """Run `natm-bot doctor` on the bot's config: exit code and report lines."""
    result: subprocess.CompletedProcess[str] = await asyncio.to_thread(bot.cli, "doctor")
    assert result.stderr == "", result.stderr
    return result.returncode, result.stdout.splitlines()


def device_of(bot: BotProcess) -> str:
    credentials = json.loads((bot.folder / "store" / "credentials.json").read_text())
    return str(credentials["device_id"])


async def lobby_with_bot(people: People, make_bot: BotFactory) -> tuple[Person, BotProcess, str]:
    """A running bot with an admin in a room with it."""
    coord = await people("coord")
    bot = make_bot(admins=(coord.mxid,))
    await bot.start()
    lobby = await coord.create_room([bot.user_id], name="lobby")
    await coord.wait_joined(lobby, bot.user_id)
    return coord, bot, lobby


async def says(person: Person, room: str, command: str, bot: BotProcess) -> str:
    reply = await person.ask(room, command, bot.user_id)
    return str(reply.source["content"]["body"])


async def test_all_well_while_the_bot_runs(people: People, make_bot: BotFactory) -> None:
    coord, bot, lobby = await lobby_with_bot(people, make_bot)
    group_room = await coord.create_room([bot.user_id], name="observatory", encrypted=True)
    await coord.wait_joined(group_room, bot.user_id)
    edited = await says(coord, lobby, f"!group edit algo room {group_room}", bot)
    assert edited.startswith("Updated"), edited
    when = "2030-01-01 10:00"
    planned = await says(coord, lobby, f'!meeting add title=Call when="{when}" tz=UTC', bot)
    assert planned.startswith("Planned #1"), planned

    code, lines = await doctor(bot)

    assert code == 0, "\n".join(lines)
    assert all(line.startswith("ok ") for line in lines), lines
    device = device_of(bot)
    for expected in (
        f"ok config: {bot.config} and the content files are valid",
        "ok files: the database and the store are readable by their owner only",
        f"ok database: {bot.folder / 'bot.sqlite3'} passes the integrity check; "
        f"schema version {len(MIGRATIONS)} (current)",
        f"ok login: the access token is valid for {bot.user_id}, device {device}",
        f"ok encryption: the store's identity keys match device {device} on the homeserver",
        f"ok room {lobby} (meetings): the bot is in it and may send",
        f"ok room {group_room} (group room): the bot is in it and may send and invite",
    ):
        assert expected in lines, (expected, lines)
    assert any(line.startswith("ok homeserver: ") and "Matrix v1." in line for line in lines), (
        lines
    )
    assert any(line.startswith("ok clock: within ") for line in lines), lines


async def test_a_revoked_login_is_named_with_the_fix(
    people: People, make_bot: BotFactory, synapse: LocalSynapse
) -> None:
    _, bot, _ = await lobby_with_bot(people, make_bot)
    assert await bot.stop() == 0
    credentials = json.loads((bot.folder / "store" / "credentials.json").read_text())
    await synapse.aadmin_request("POST", "/_matrix/client/v3/logout", credentials["access_token"])

    code, lines = await doctor(bot)

    assert code == 1
    device = credentials["device_id"]
    assert lines[-1] == (
        f"PROBLEM login: the homeserver rejected the access token of device {device} "
        "(M_UNKNOWN_TOKEN): the login was revoked or the device removed; move the store "
        f"folder aside (keep it until the new login works) and run `natm-bot login -c "
        f"{bot.config}`, then remove the old device in a client"
    )
    assert [line for line in lines if line.startswith("PROBLEM")] == [lines[-1]]


async def test_a_group_room_where_the_bot_cannot_invite(
    people: People, make_bot: BotFactory
) -> None:
    coord, bot, lobby = await lobby_with_bot(people, make_bot)
    created = await coord.client.room_create(
        name="closed", invite=[bot.user_id], power_level_override={"invite": 100}
    )
    assert isinstance(created, RoomCreateResponse), created
    closed = str(created.room_id)
    await coord.wait_joined(closed, bot.user_id)
    edited = await says(coord, lobby, f"!group edit algo room {closed}", bot)
    assert edited.startswith("Updated"), edited

    code, lines = await doctor(bot)

    assert code == 1
    problems = [line for line in lines if line.startswith("PROBLEM")]
    assert problems == [
        f"PROBLEM room {closed} (group room): the bot's power level 0 is below the 100 "
        f"needed to invite, so `!join` cannot invite people in: {RAISE_IT}"
    ]


async def test_a_world_readable_database_is_named_with_the_chmod(
    people: People, make_bot: BotFactory
) -> None:
    _, bot, _ = await lobby_with_bot(people, make_bot)
    database = bot.folder / "bot.sqlite3"
    database.chmod(0o644)

    code, lines = await doctor(bot)

    assert code == 1
    problems = [line for line in lines if line.startswith("PROBLEM")]
    assert problems == [
        f"PROBLEM files: {database} can be read by other users (mode 644): chmod 600 {database}"
    ]
