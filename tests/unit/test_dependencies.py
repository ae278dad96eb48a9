"""The few places that lean on what a dependency does not promise in its public API.

Each test here fails loudly when an upgrade of nio or aiosqlite changes what the bot relies
on, so that the upgrade is checked by hand (the ranges are pinned in pyproject.toml)."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
import threading
from pathlib import Path

import aiosqlite
import yaml
from nio import AsyncClient, KeysQueryResponse
from nio.store import DefaultStore

from natm_bot.config.settings import load_config
from natm_bot.matrix.session import CryptoStore, make_client
from natm_bot.storage.dbthread import on_thread

BOT = "@natm-bot:example.org"
DEVICE = "BOTDEVICE"


def _client(tmp_path: Path) -> AsyncClient:
    """The bot's client, made as `natm-bot run` makes it, logged in from a stored device."""
    config = tmp_path / "bot.yaml"
    matrix = {"homeserver": "http://127.0.0.1:1", "user_id": BOT, "store_dir": "store"}
    config.write_text(yaml.safe_dump({"matrix": matrix}), encoding="utf-8")
    client = make_client(load_config(config), "pickle key", DEVICE)
    client.restore_login(BOT, DEVICE, "token")
    return client


async def test_aiosqlite_runs_a_function_of_ours_on_the_connection_thread(
    tmp_path: Path,
) -> None:
    conn = await aiosqlite.connect(tmp_path / "x.sqlite3")
    try:
        loop_thread = threading.get_ident()

        def work(raw: sqlite3.Connection, value: int) -> tuple[int, int]:
            row = raw.execute("SELECT ? + 1", (value,)).fetchone()
            return int(row[0]), threading.get_ident()

        result, thread = await on_thread(conn, work, 41)
        assert result == 42
        assert thread != loop_thread  # on aiosqlite's own thread, not blocking the loop
        assert inspect.iscoroutinefunction(aiosqlite.Connection._execute)
        assert isinstance(inspect.getattr_static(aiosqlite.Connection, "_conn"), property)
    finally:
        await conn.close()


async def test_a_closed_aiosqlite_connection_refuses_with_value_error(tmp_path: Path) -> None:
    """Database._abort counts on this to tell "closed" from a database fault."""
    conn = await aiosqlite.connect(tmp_path / "x.sqlite3")
    await conn.close()
    try:
        await on_thread(conn, lambda raw: raw.execute("SELECT 1"))
    except ValueError:
        return
    raise AssertionError("a closed connection ran the function")


def test_nio_takes_our_crypto_store_and_saves_only_real_changes(tmp_path: Path) -> None:
    client = _client(tmp_path)
    try:
        assert isinstance(client.store, CryptoStore)
        assert client.olm is not None  # the keys are in the store as ever
        store = client.store
        store.save_encrypted_rooms(set())
        assert store.load_encrypted_rooms() == set()
        store.save_encrypted_rooms({"!room:example.org"})
        assert store.load_encrypted_rooms() == {"!room:example.org"}
        # nio calls this after every sync with the set of rooms that turned encrypted
        assert list(inspect.signature(DefaultStore.save_encrypted_rooms).parameters) == [
            "self",
            "rooms",
        ]
        assert "store.save_encrypted_rooms(encrypted_rooms)" in inspect.getsource(
            AsyncClient._handle_joined_rooms
        )
    finally:
        asyncio.run(client.close())


def test_nio_key_query_asks_for_the_users_the_bot_puts_on_its_list(tmp_path: Path) -> None:
    """Crypto.check_device puts the bot itself on the machine's list and calls keys_query."""
    client = _client(tmp_path)
    try:
        assert client.olm is not None
        assert isinstance(client.olm.users_for_key_query, set)
        client.olm.users_for_key_query.add(BOT)
        assert BOT in client.users_for_key_query  # what keys_query() sends
        assert list(inspect.signature(AsyncClient.keys_query).parameters) == ["self"]
        device = {
            "user_id": BOT,
            "device_id": DEVICE,
            "algorithms": ["m.olm.v1.curve25519-aes-sha2"],
            "keys": {f"ed25519:{DEVICE}": "key", f"curve25519:{DEVICE}": "other"},
            "signatures": {BOT: {f"ed25519:{DEVICE}": "signature"}},
        }
        answer = KeysQueryResponse.from_dict({"device_keys": {BOT: {DEVICE: device}}})
        assert isinstance(answer, KeysQueryResponse)
        assert answer.device_keys[BOT][DEVICE]["keys"][f"ed25519:{DEVICE}"] == "key"
    finally:
        asyncio.run(client.close())
