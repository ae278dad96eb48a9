"""`natm-bot demo`: a throwaway Synapse, a bot account, a person account and a room, live."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import secrets
import sys
import tempfile
from pathlib import Path

import yaml

from natm_bot.config.settings import Config, load_config
from natm_bot.frontends.serving import matrix_runner
from natm_bot.matrix.session import login
from natm_bot.testing.devserver import LocalSynapse


def write_config(folder: Path, homeserver: str, bot_user: str, person: str) -> Path:
    """A bot.yaml for a local homeserver: the person is admin and may invite the bot."""
    config = {
        "bot": {"admins": [person], "log_level": "INFO"},
        "paths": {"database": "natm-bot.sqlite3"},
        "matrix": {
            "homeserver": homeserver,
            "user_id": bot_user,
            "store_dir": "matrix-store",
            "invites": {"allowed_users": [person]},
        },
    }
    path = folder / "bot.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


EXIT_MISSING = 1
INSTALL = (
    "natm-bot: the demo runs a local Synapse homeserver, which is not installed here: "
    "install it with `pip install 'natm-bot[demo]'` (in a checkout: `.venv/bin/pip install "
    "-e '.[demo]'`), then run `natm-bot demo` again"
)


def synapse_installed() -> bool:
    """Whether Synapse can be started (found without importing it: that starts a reactor)."""
    try:
        return importlib.util.find_spec("synapse") is not None
    except ValueError:  # listed in sys.modules as None: blocked, so not there
        return False


def _welcome(url: str, person: str, password: str, room: str, config: Config, base: Path) -> str:
    """How to connect to the demo and what to type first."""
    return (
        "\nThe demo is running. Open any Matrix client and sign in with:\n"
        f"  homeserver: {url}\n"
        f"  user:       {person}\n"
        f"  password:   {password}\n"
        f"Then open the room “NATM bot demo” ({room}) and type "
        f"{config.bot.prefix}principles.\n"
        f"Everything lives in {base}. Press Ctrl-C to stop.\n"
    )


async def run_demo(folder: Path | None, port: int | None) -> int:
    """Start everything, print how to connect, and run the bot until Ctrl-C."""
    if not synapse_installed():
        print(INSTALL, file=sys.stderr)
        return EXIT_MISSING
    # As `natm-bot run` and `login` do: the database, credentials and encryption keys are
    # created readable by their owner only (nio creates its store with the process's umask).
    os.umask(0o077)
    base = folder or Path(tempfile.mkdtemp(prefix="natm-demo-"))
    base.mkdir(parents=True, exist_ok=True)
    server = LocalSynapse(base / "synapse", port=port)
    print(f"Starting a local Synapse in {base} …", flush=True)
    await asyncio.to_thread(server.start)
    try:
        localpart = f"demo-{secrets.token_hex(2)}"
        password = secrets.token_urlsafe(9)
        person = await server.aregister_user(localpart, password)
        bot_password = secrets.token_urlsafe(16)
        bot_user = await server.aregister_user("natm-bot", bot_password)
        config = load_config(write_config(base, server.url, bot_user, person))
        await login(config, bot_password)
        token, _ = await server.alogin_token(localpart, password)
        room = await server.aadmin_request(
            "POST",
            "/_matrix/client/v3/createRoom",
            token,
            {"name": "NATM bot demo", "invite": [bot_user], "preset": "private_chat"},
        )
        print(_welcome(server.url, person, password, room["room_id"], config, base), flush=True)
        return await matrix_runner(config).run()
    finally:
        await asyncio.to_thread(server.stop)
