"""The chat harness builds a bot once and gives it back as new between the examples of a
property test; what it reuses (the checked data files, the commands, a migrated empty
database) is what the bot itself would build from the same files."""

from __future__ import annotations

import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

from natm_bot.config.paths import bundled
from natm_bot.config.settings import PathsSection
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import NativePoll
from natm_bot.storage.migrations import MIGRATIONS
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.conftest import ADMIN

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
PLAN = '!meeting add title=Call when="2027-03-02 10:00" tz=UTC'


async def test_a_reset_bot_is_as_new(tmp_path: Path) -> None:
    async with ChatHarness(make_config(tmp_path, admins=[ADMIN])) as bot:
        await bot.reset(at=START)
        assert (await bot.ask(PLAN, sender=ADMIN)).startswith("Planned #1")
        await bot.ask("!lang es")
        await bot.ask("!join algo")
        await bot.advance(days=3)
        first_app = bot.app
        await bot.reset(at=START)
        assert bot.app is not first_app and bot.clock.now() == START
        assert bot.transport.sent == []
        assert "No meetings are planned" in await bot.ask("!meetings")
        assert "0 members" in await bot.ask("!group algo")  # in English again, nobody in it
        assert (await bot.ask(PLAN, sender=ADMIN)).startswith("Planned #1")


async def test_a_new_database_is_private_and_migrated(tmp_path: Path) -> None:
    async with ChatHarness(make_config(tmp_path)) as bot:
        path = bot.app.db.path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert await bot.app.db.version() == len(MIGRATIONS)
        await bot.reset()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_an_edited_data_file_is_read_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(bundled("data"), data)
    paths = PathsSection(database=tmp_path / "natm-bot.sqlite3", data_dir=data)
    config = make_config(tmp_path).model_copy(update={"paths": paths})
    async with ChatHarness(config, ManualClock(START)) as bot:
        assert "Data extraction is illegitimate." in await bot.ask("!principles 1")
    principles = data / "principles.yaml"
    text = principles.read_text(encoding="utf-8")
    principles.write_text(text.replace("Data extraction is illegitimate.", "Edited."))
    async with ChatHarness(config, ManualClock(START)) as bot:
        answer = await bot.ask("!principles 1")
        assert "Edited." in answer and "illegitimate" not in answer


async def test_a_person_can_tap_a_native_poll_and_the_bot_takes_it_quietly(
    tmp_path: Path,
) -> None:
    async with ChatHarness(make_config(tmp_path), ManualClock(START)) as bot:
        poll = NativePoll("Lunch?", (("a", "Pizza"), ("b", "Soup")), 1, True, "Lunch?")
        started = await bot.app.transport.start_poll(LOBBY, poll, "natm-p-1")
        assert [p.event_id for p in bot.transport.polls] == [started]
        assert await bot.tap(started, "a", sender=ADMIN) == []
        assert await bot.tap(started) == []  # a spoiled vote
        assert bot.transport.sent == []
