"""The real bot when its database is full, locked by another program, or read-only: it keeps
syncing, answers what needs no saving, says plainly when it cannot save, loses no command,
logs the change once, and recovers by itself when the fault clears."""

from __future__ import annotations

import asyncio
import errno
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import BotFactory
from tests.integration.people import BotProcess, Person

People = Callable[[str], Awaitable[Person]]

DOWN = "cannot save to the database"
UP = "the database can save again"


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB filesystem of its own, to fill up or make read-only (needs root, as CI is)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = _mount("-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(folder))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


class Chat:
    """One person talking to the bot in one room, keeping every command it sent."""

    def __init__(self, person: Person, room: str, bot: BotProcess) -> None:
        self.person, self.room, self.bot = person, room, bot
        self.sent: list[str] = []

    async def ask(self, text: str, timeout: float = 40) -> str:
        """Say `text`; the body of the bot's reply."""
        event_id = await self.person.say(self.room, text)
        self.sent.append(event_id)
        replies = await self.person.wait_for(
            lambda: self.person.replies_to(self.room, event_id, self.bot.user_id),
            f"a reply to {text}",
            timeout,
        )
        return str(replies[0].source["content"]["body"])

    async def until_log(self, text: str, tries: int = 40) -> None:
        """Keep typing (each message makes the bot sync and save) until the log shows `text`."""
        for _ in range(tries):
            if text in self.bot.log_text():
                return
            await self.ask("!principles 5")
            await asyncio.sleep(1)  # pacing between two prods, not synchronisation
        raise AssertionError(f"the log never showed {text!r}:\n{self.bot.log_text()[-3000:]}")

    async def each_answered_once(self) -> None:
        """Every command was answered exactly once, also after a restart of the bot."""
        assert await self.bot.stop() == 0
        await self.bot.start()
        await self.ask("!help")
        counts = [len(self.person.replies_to(self.room, e, self.bot.user_id)) for e in self.sent]
        assert counts == [1] * len(self.sent)


async def _chat(people: People, bot: BotProcess) -> Chat:
    member = await people("member")
    await bot.start()
    room = await member.create_room([bot.user_id])
    await member.wait_joined(room, bot.user_id)
    chat = Chat(member, room, bot)
    assert (await chat.ask("!join algo")).startswith("Welcome to Algorithm Observatory")
    return chat


async def _while_faulty(chat: Chat, state: str) -> None:
    """What people get while the database cannot save."""
    assert "Principle 1" in await chat.ask("!principles 1")
    refused = await chat.ask("!join review")
    assert "can't save anything right now" in refused and state in refused, refused
    assert "Nothing was changed" in refused


async def _after_recovery(chat: Chat) -> None:
    await chat.until_log(UP)
    assert (await chat.ask("!join review")).startswith("Welcome to Technology Review Boards")
    mine = await chat.ask("!mygroups")
    assert "Algorithm Observatory" in mine and "Technology Review Boards" in mine
    log = chat.bot.log_text()
    assert log.count(DOWN) == 1 and log.count(UP) == 1, log[-3000:]
    await chat.each_answered_once()


def _bot_on(make_bot: BotFactory, disk: Path) -> BotProcess:
    return make_bot(
        sections={
            "paths": {"database": str(disk / "bot.sqlite3")},
            "housekeeping": {"interval": "2s", "safety_sweep": "5s"},
            "safety": {"rate_burst": 1000, "rate_per_minute": 6000},
        }
    )


def _fill(disk: Path) -> Path:
    """Fill the disk to the last byte; unbuffered, so that closing the file has nothing left
    to write (a buffered file would fail again on close)."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


async def test_a_full_disk(small_disk: Path, people: People, make_bot: BotFactory) -> None:
    chat = await _chat(people, _bot_on(make_bot, small_disk))
    filler = _fill(small_disk)
    await chat.until_log(DOWN)
    assert "Algorithm Observatory" in await chat.ask("!groups")  # reading still works
    await _while_faulty(chat, "full")
    filler.unlink()
    await _after_recovery(chat)


async def test_a_database_locked_for_30_seconds_by_another_program(
    small_disk: Path, people: People, make_bot: BotFactory
) -> None:
    bot = _bot_on(make_bot, small_disk)
    chat = await _chat(people, bot)
    hold = (
        "import sqlite3, sys, time\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('BEGIN IMMEDIATE')\n"
        "print('locked', flush=True)\n"
        "time.sleep(30)\n"
    )
    backup = await asyncio.create_subprocess_exec(
        sys.executable, "-c", hold, str(small_disk / "bot.sqlite3"), stdout=subprocess.PIPE
    )
    try:
        assert backup.stdout is not None and (await backup.stdout.readline()) == b"locked\n"
        await chat.until_log(DOWN)
        assert "Algorithm Observatory" in await chat.ask("!groups")
        await _while_faulty(chat, "busy")
    finally:
        await asyncio.wait_for(backup.wait(), 60)
    await _after_recovery(chat)


async def test_a_read_only_filesystem(
    small_disk: Path, people: People, make_bot: BotFactory
) -> None:
    bot = _bot_on(make_bot, small_disk)
    chat = await _chat(people, bot)
    assert await bot.stop() == 0
    remounted = _mount("-o", "remount,ro", str(small_disk))
    assert remounted.returncode == 0, remounted.stderr
    try:
        await bot.start()
        assert not os.access(small_disk, os.W_OK)
        await chat.until_log(DOWN)
        assert "read-only filesystem" in bot.log_text()
        assert "Algorithm Observatory" in await chat.ask("!groups")
        await _while_faulty(chat, "read-only")
    finally:
        assert _mount("-o", "remount,rw", str(small_disk)).returncode == 0
    await _after_recovery(chat)
