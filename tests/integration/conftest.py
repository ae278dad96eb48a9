"""Fixtures for the integration tests that run against a real, throwaway Synapse."""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from natm_bot.testing.devserver import LocalSynapse
from tests.integration.people import BotProcess, Person

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSynapse]:
    """One Synapse for the whole test session, with rate limits lifted."""
    server = LocalSynapse(tmp_path_factory.mktemp("synapse"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def new_user(synapse: LocalSynapse) -> Callable[[str], tuple[str, str]]:
    """Return a factory that registers a fresh user and gives back ``(mxid, password)``."""

    def make(prefix: str = "user") -> tuple[str, str]:
        localpart = f"{prefix.lower()}-{next(_counter)}-{secrets.token_hex(3)}"
        if not re.fullmatch(r"[a-z0-9._=/+-]+", localpart):
            raise ValueError(f"not a valid Matrix localpart: {localpart!r}")
        password = secrets.token_urlsafe(12)
        return synapse.register_user(localpart, password), password

    return make


@pytest.fixture
async def people(
    synapse: LocalSynapse, new_user: Callable[[str], tuple[str, str]], tmp_path: Path
) -> AsyncIterator[Callable[[str], Awaitable[Person]]]:
    """A factory of logged-in, syncing people; all are stopped at the end of the test."""
    started: list[Person] = []

    async def make(name: str = "person") -> Person:
        mxid, password = new_user(name)
        person = Person(synapse, mxid, password, tmp_path / "people" / mxid)
        started.append(await person.start())
        return person

    yield make
    for person in started:
        await person.stop()


@pytest.fixture
def bot_account(new_user: Callable[[str], tuple[str, str]]) -> tuple[str, str]:
    """A fresh Matrix account for the bot: (mxid, password)."""
    return new_user("natm-bot")


BotFactory = Callable[..., BotProcess]


@pytest.fixture
def make_bot(
    synapse: LocalSynapse, bot_account: tuple[str, str], tmp_path: Path
) -> Iterator[BotFactory]:
    """Build a logged-in bot (not started) with config overrides; every one is killed at the
    end. By default it accepts invites from anyone on this server."""
    made: list[BotProcess] = []

    def build(**options: Any) -> BotProcess:
        mxid, password = bot_account
        options.setdefault("invites", {"allowed_servers": [synapse.server_name]})
        bot = BotProcess(tmp_path / f"bot{len(made) or ''}", synapse, mxid, **options)
        bot.login(password)
        made.append(bot)
        return bot

    yield build
    for bot in made:
        bot.kill()


@pytest.fixture
def bot_process(make_bot: BotFactory) -> BotProcess:
    """A logged-in bot (not started) that accepts invites from this server; killed at the end."""
    return make_bot()


@pytest.fixture
def own_synapse(tmp_path: Path) -> Iterator[LocalSynapse]:
    """A Synapse of this test alone, which the test may stop and start at will."""
    server = LocalSynapse(tmp_path / "synapse")
    server.start()
    try:
        yield server
    finally:
        server.stop(timeout=10)
