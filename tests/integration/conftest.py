"""Fixtures for the integration tests that run against a real, throwaway Synapse."""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable, Iterator

import pytest

from natm_bot.devserver import LocalSynapse

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
