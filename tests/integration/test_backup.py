"""A backup made while the bot runs brings it back elsewhere as the same device, with all
its data, answering in an encrypted room."""

from __future__ import annotations

import asyncio
import stat
import subprocess
import tarfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from nio import MegolmEvent

from natm_bot.testing.devserver import LocalSynapse
from tests.integration.conftest import BotFactory
from tests.integration.people import BotProcess, Person, devices_of

People = Callable[[str], Awaitable[Person]]
APPLY = (
    '!members apply name="Radio Libre del Sur" category=civil-society country=KE '
    'website=https://radio.example.org description="A community radio run by its listeners."'
)


async def says(person: Person, room: str, command: str, bot: BotProcess) -> str:
    reply = await person.ask(room, command, bot.user_id)
    return str(reply.source["content"]["body"])


async def cli(bot: BotProcess, *args: str) -> subprocess.CompletedProcess[str]:
    result: subprocess.CompletedProcess[str] = await asyncio.to_thread(bot.cli, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


async def test_restore_into_a_fresh_folder_is_the_same_device_with_all_its_data(
    people: People, make_bot: BotFactory, synapse: LocalSynapse, tmp_path: Path
) -> None:
    admin = await people("admin")
    bot = make_bot(admins=(admin.mxid,))
    await bot.start()
    room = await admin.create_room([bot.user_id], encrypted=True)  # also its direct chat
    await admin.wait_joined(room, bot.user_id)
    assert "Welcome to Algorithm Observatory!" in await says(admin, room, "!join algo", bot)
    plan = '!meeting add title="Backup drill" when="2030-01-01 10:00" tz=UTC'
    assert (await says(admin, room, plan, bot)).startswith("Planned #1 Backup drill")
    await says(admin, room, APPLY, bot)
    approved = await says(admin, room, "!members approve 1", bot)
    assert approved.startswith("Radio Libre del Sur (#1) is now listed"), approved

    archive = tmp_path / "natm-bot.tar.gz"
    made = await cli(bot, "backup", "-o", str(archive))  # while the bot runs
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as contents:
        assert "natm-bot-backup/bot.yaml" in contents.getnames()
    assert await bot.stop() == 0
    devices = sorted(d["device_id"] for d in devices_of(synapse, bot.user_id))

    restored = BotProcess(tmp_path / "restored", synapse, bot.user_id, admins=(admin.mxid,))
    done = await cli(restored, "restore", str(archive))
    assert "Restored the database" in done.stdout
    again = await asyncio.to_thread(restored.cli, "restore", str(archive))
    assert again.returncode == 1 and "add --force to replace it" in again.stderr
    await restored.start()
    try:
        assert sorted(d["device_id"] for d in devices_of(synapse, bot.user_id)) == devices
        credentials = (restored.folder / "store" / "credentials.json").read_text()
        assert credentials == (bot.folder / "store" / "credentials.json").read_text()
        assert made.stdout.startswith("Backed up device ")
        mydata = await says(admin, room, "!mydata", restored)
        assert "Algorithm Observatory: member since" in mydata, mydata
        assert "Backup drill" in await says(admin, room, "!meetings", restored)
        card = await says(admin, room, "!member radio libre del sur", restored)
        assert card.startswith("Radio Libre del Sur (#1)"), card
        assert not [e for e in admin.events[room] if isinstance(e, MegolmEvent)], "undecryptable"
        assert admin.client.rooms[room].encrypted
        for path in (restored.folder / "bot.sqlite3", *(restored.folder / "store").iterdir()):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    finally:
        restored.kill()
