"""`natm-bot demo`: someone follows the printed instructions and talks to the bot."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
from pathlib import Path

import yaml
from nio import RoomMessageNotice

from natm_bot.config.settings import load_config
from natm_bot.frontends.doctor_local import private_files
from natm_bot.matrix.session import store_dir
from natm_bot.testing.devserver import LocalSynapse
from tests.integration.people import Person

PRINCIPLE_1 = "Data extraction is illegitimate."
START_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group is left (the demo's Synapse inherits its group)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


async def _banner(stdout: asyncio.StreamReader) -> str:
    """What the demo prints, up to the line that ends its instructions."""
    text = ""
    while "Press Ctrl-C" not in text:
        line = await stdout.readline()
        if not line:
            raise AssertionError(f"the demo ended its output early:\n{text}")
        text += line.decode()
    return text


def _field(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in the demo's instructions:\n{text}"
    return match.group(1)


async def test_demo_answers_the_person_it_prints(tmp_path: Path) -> None:
    folder, port = tmp_path / "demo", _free_port()
    errors = tmp_path / "demo.err"
    loop = asyncio.get_running_loop()
    with errors.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "natm_bot",
            "demo",
            "--dir",
            str(folder),
            "--port",
            str(port),
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,  # its own process group, with the Synapse it starts
        )
    person: Person | None = None
    try:
        assert process.stdout is not None
        spawned = loop.time()
        try:
            banner = await asyncio.wait_for(_banner(process.stdout), START_TIMEOUT)
        except TimeoutError:
            raise AssertionError(
                f"no instructions within {START_TIMEOUT:.0f} s:\n{errors.read_text()}"
            ) from None
        ready = loop.time()
        assert _field(r"homeserver:\s+(\S+)", banner) == f"http://127.0.0.1:{port}"
        user = _field(r"user:\s+(@\S+)", banner)
        password = _field(r"password:\s+(\S+)", banner)
        room = _field(r"\((![^)\s]+)\)", banner)
        bot_user = yaml.safe_load((folder / "bot.yaml").read_text())["matrix"]["user_id"]

        # Only its URL is used: this is the demo's server, seen from outside.
        server = LocalSynapse(folder / "synapse", port=port)
        person = Person(server, user, password, tmp_path / "person")
        await person.start()
        await person.wait_joined(room, bot_user)
        joined = loop.time()
        command = await person.say(room, "!principles")
        reply = await person.reply(room, command, bot_user)
        answered = loop.time()
        sentinel = await person.say(room, "!help principles")
        await person.reply(room, sentinel, bot_user)
        print(
            f"demo: instructions after {ready - spawned:.1f} s, bot in the room after "
            f"{joined - ready:.1f} s more, answer in {answered - joined:.1f} s"
        )
        assert len(person.replies_to(room, command, bot_user)) == 1
        assert isinstance(reply, RoomMessageNotice), type(reply)
        assert reply.source["content"]["msgtype"] == "m.notice"
        assert PRINCIPLE_1 in reply.source["content"]["body"]
        # What `natm-bot doctor` says of the demo's files: the store and database are private.
        config = load_config(folder / "bot.yaml")
        assert [str(f) for f in private_files(config, store_dir(config))] == [
            "ok files: the database and the store are readable by their owner only"
        ]
        await person.stop()
        person = None

        interrupted = loop.time()
        process.send_signal(signal.SIGINT)  # Ctrl-C, to the demo only: it must stop Synapse
        try:
            code = await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            raise AssertionError(
                f"the demo still runs {STOP_TIMEOUT:.0f} s after SIGINT:\n{errors.read_text()}"
            ) from None
        print(f"demo: SIGINT to exit {loop.time() - interrupted:.1f} s")
        assert code in (0, 130), errors.read_text()
        assert not _listening(port), "the demo's Synapse still listens"
        assert not _group_alive(process.pid), "a child of the demo (Synapse) is still running"
        assert "Traceback" not in errors.read_text(), errors.read_text()
    finally:
        if person is not None:
            await person.stop()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the demo and its Synapse, whatever happened
        if process.returncode is None:
            await process.wait()
