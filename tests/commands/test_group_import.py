"""Re-reading groups.yaml updates what the file owns and keeps what was set in chat."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from natm_bot.config.paths import bundled
from natm_bot.config.settings import load_config
from natm_bot.frontends.cli import main
from natm_bot.frontends.offline import offline_app
from natm_bot.testing.harness import ChatHarness, make_config
from tests.conftest import ADMIN, ALICE

COORD = "@coord:localhost"
GROUP_ROOM = "!algo-room:localhost"
NEW_GROUP = """
  - id: community-networks
    name: "Community Networks"
    description: {en: "Local networks, together."}
    coordinators: ["@founder:localhost"]
    capacity: 10
"""


def _data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(bundled("data"), data)
    return data


def _change_the_file(data: Path) -> None:
    """A new group, and a new description for the observatory."""
    path = data / "groups.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("Building a citizen-science platform", "Running a citizen-science lab")
    path.write_text(text + NEW_GROUP, encoding="utf-8")


async def _set_in_chat(bot: ChatHarness) -> None:
    for command in (
        f"!group addcoord algo {COORD}",
        "!group edit algo capacity 2",
        f"!group edit algo room {GROUP_ROOM}",
        "!group edit algo members public",
        "!group close edtech",
        "!group edit review name Tech Review",
    ):
        reply = await bot.ask(command, sender=ADMIN)
        assert not reply.startswith("Sorry"), reply


async def test_import_keeps_what_chat_set_and_says_what_it_changed(tmp_path: Path) -> None:
    data = _data(tmp_path)
    config = make_config(tmp_path, admins=[ADMIN])
    config = config.model_copy(
        update={"paths": config.paths.model_copy(update={"data_dir": data})}
    )
    async with ChatHarness(config) as bot:
        await _set_in_chat(bot)
        await bot.send("!join algo", sender=ALICE)
        _change_the_file(data)
        reply = await bot.ask("!group import", sender=ADMIN)
        algo = await bot.app.groups.resolve("algo")
        assert (algo.coordinators, algo.capacity, algo.room, algo.member_list) == (
            (COORD,),
            2,
            GROUP_ROOM,
            "public",
        )
        assert algo.description["en"].startswith("Running a citizen-science lab")
        assert not (await bot.app.groups.resolve("edtech")).open
        assert (await bot.app.groups.resolve("review")).name == "Technology Review Boards"
        new = await bot.app.groups.resolve("community networks")
        assert (new.coordinators, new.capacity) == (("@founder:localhost",), 10)
        assert len(await bot.app.groups.signups(group_id=algo.id)) == 1
        assert reply.startswith("Imported 5 groups from groups.yaml; sign-ups were kept."), reply
        assert "New: Community Networks" in reply
        assert "Algorithm Observatory (description)" in reply
        assert "Technology Review Boards (name)" in reply
        assert "coordinators, capacity, room, member list" in reply
        assert "Non-Aligned Ed Tech (open or closed)" in reply
        again = await bot.ask("!group import", sender=ADMIN)
        assert "Updated from the file" not in again and "New:" not in again, again


def test_the_shell_import_keeps_chat_state_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _data(tmp_path)
    config = tmp_path / "bot.yaml"
    config.write_text(f"bot:\n  admins: ['{ADMIN}']\npaths:\n  data_dir: {data}\n")

    async def set_in_chat() -> None:
        async with ChatHarness(load_config(config)) as bot:
            await _set_in_chat(bot)

    asyncio.run(set_in_chat())
    _change_the_file(data)
    assert main(["import", "groups", "-c", str(config)]) == 0

    async def check() -> None:
        async with offline_app(load_config(config)) as app:
            algo = await app.groups.resolve("algo")
            assert (algo.coordinators, algo.capacity) == ((COORD,), 2)

    asyncio.run(check())
    out = capsys.readouterr().out
    assert out.startswith("Imported 5 groups from groups.yaml; sign-ups were kept.")
    assert "Algorithm Observatory (coordinators, capacity, room, member list)" in out
    assert "**" not in out


async def test_a_file_alias_taken_in_chat_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    data = _data(tmp_path)
    config = make_config(tmp_path, admins=[ADMIN])
    config = config.model_copy(
        update={"paths": config.paths.model_copy(update={"data_dir": data})}
    )
    async with ChatHarness(config) as bot:
        await bot.ask('!group create "Community Networks"', sender=ADMIN)
        await bot.ask("!group edit community aliases cn", sender=ADMIN)
        path = data / "groups.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace('aliases: ["observatory",', 'aliases: ["cn", "observatory",'))
        path.write_text(
            path.read_text().replace("Building a citizen-science", "A citizen-science")
        )
        before = await bot.app.groups.all()
        refused = await bot.ask("!group import", sender=ADMIN)
        assert "“cn”" in refused and "nothing was changed" in refused, refused
        assert await bot.app.groups.all() == before
