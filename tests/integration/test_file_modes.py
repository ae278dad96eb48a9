"""What the bot writes to disk is readable by its owner only."""

from __future__ import annotations

import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.integration.people import BotProcess, Person

People = Callable[[str], Awaitable[Person]]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_database_and_store_are_private_to_the_bots_user(
    people: People, bot_process: BotProcess
) -> None:
    alice = await people("alice")
    await bot_process.start()
    room = await alice.create_room([bot_process.user_id], encrypted=True)
    await alice.wait_joined(room, bot_process.user_id)
    await alice.ask(room, "!join algo", bot_process.user_id)  # the database has written
    folder = bot_process.folder
    for name in ("bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm"):
        assert _mode(folder / name) == 0o600, f"{name}: {_mode(folder / name):o}"
    store = folder / "store"
    assert _mode(store) == 0o700
    files = list(store.iterdir())
    assert any(p.suffix == ".db" for p in files), "the encryption keys are kept here"
    assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
