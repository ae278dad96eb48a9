"""The container image, built from the Dockerfile and run as an operator runs it: `login` once
into the state volume, then the default command against the test Synapse, config mounted
read-only; a person's `!principles` is answered in an encrypted room, and `podman stop`
ends it quickly with exit code 0. And deploy/natm-bot.service installed as README says on a
machine booting systemd (a container), where the bot answers from inside the unit's sandbox."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import yaml

from natm_bot.testing.devserver import LocalSynapse
from tests.integration.containers import (
    RUN_OPTIONS,
    SystemdHost,
    build_image,
    build_systemd_host,
    ensure_base_image,
    image_ids,
    new_name,
    podman,
    remove_images_since,
)
from tests.integration.people import Person

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("podman") is None,
        reason="podman is not installed (`.ci/run` installs it on Debian)",
    ),
]

People = Callable[[str], Awaitable[Person]]
PRINCIPLE_1 = "Data extraction is illegitimate."
STATE = "/var/lib/natm-bot"
CONFIG = "/etc/natm-bot/bot.yaml"


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    """The image built from this checkout under a tag of its own; removed at the end."""
    tag = f"localhost/natm-bot:{new_name('test')}"
    ensure_base_image()
    before = image_ids()
    try:
        seconds = build_image(tag)
        size = podman("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip()
        print(f"\nbuilt {tag} in {seconds:.0f} s, {int(size) / 1e6:.0f} MB")
        yield tag
    finally:
        remove_images_since(before)


class Deployment:
    """One bot's container: its state volume and its config file, as README describes."""

    def __init__(self, image: str, config: Path) -> None:
        self.image = image
        self.config = config
        self.volume = new_name("natm-bot-state")
        self.name = new_name("natm-bot")
        podman("volume", "create", self.volume)

    def mounts(self) -> list[str]:
        """The state volume, and bot.yaml read-only."""
        return ["-v", f"{self.volume}:{STATE}", "-v", f"{self.config}:{CONFIG}:ro"]

    async def once(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`podman run --rm` of the image with these arguments; `env` is passed by name only,
        so a password never shows on a command line."""
        passed = [f"--env={key}" for key in env or {}]
        options = ["run", "--rm", *RUN_OPTIONS, *passed, *self.mounts(), self.image]
        return await asyncio.to_thread(podman, *options, *args, check=False, env=env)

    async def once_as(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Another program of the image, with the bot's mounts and user."""
        options = ["run", "--rm", *RUN_OPTIONS, *self.mounts(), "--entrypoint", program]
        return await asyncio.to_thread(podman, *options, self.image, *args, check=False)

    def start(self) -> None:
        """The image's default command, in the background."""
        podman("run", "-d", "--name", self.name, *RUN_OPTIONS, *self.mounts(), self.image)

    def logs(self) -> str:
        """What the bot printed so far."""
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    async def wait_log(self, text: str, timeout: float = 60) -> None:
        """Until the bot's log shows `text`."""
        deadline = time.monotonic() + timeout
        while text not in self.logs():
            state = podman("inspect", "--format", "{{.State.Status}}", self.name).stdout
            assert state.strip() == "running", f"the bot's container stopped:\n{self.logs()}"
            assert time.monotonic() < deadline, f"no {text!r} in the log:\n{self.logs()}"
            await asyncio.sleep(0.5)

    def remove(self) -> None:
        """The container and the volume go."""
        podman("rm", "--force", "--time", "0", self.name, check=False)
        podman("volume", "rm", "--force", self.volume, check=False)


def _config(folder: Path, synapse: LocalSynapse, user_id: str) -> Path:
    """bot.yaml for the container: absolute paths inside the state volume."""
    settings = {
        "bot": {"admins": [], "log_level": "INFO"},
        "paths": {"database": f"{STATE}/natm-bot.sqlite3"},
        "matrix": {
            "homeserver": synapse.url,
            "user_id": user_id,
            "store_dir": f"{STATE}/store",
            "invites": {"allowed_servers": [synapse.server_name]},
        },
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bot.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    path.chmod(0o644)  # the bot's user in the container reads it
    return path


@pytest.fixture
def deployment(
    image: str, synapse: LocalSynapse, bot_account: tuple[str, str], tmp_path: Path
) -> Iterator[Deployment]:
    """A volume and a config for the bot's account; removed at the end."""
    made = Deployment(image, _config(tmp_path / "etc", synapse, bot_account[0]))
    yield made
    made.remove()


async def test_image_logs_in_answers_and_stops(
    deployment: Deployment, people: People, bot_account: tuple[str, str]
) -> None:
    user_id, password = bot_account
    login = await deployment.once("login", "-c", CONFIG, env={"NATM_BOT_PASSWORD": password})
    assert login.returncode == 0, login.stderr
    assert f"Logged in as {user_id}" in login.stdout
    alice = await people("alice")
    deployment.start()
    await deployment.wait_log("connected to")

    room = await alice.create_room([user_id], encrypted=True)
    await alice.wait_joined(room, user_id)
    reply = await alice.ask(room, "!principles", user_id)
    assert reply.source["content"]["msgtype"] == "m.notice"
    assert PRINCIPLE_1 in reply.source["content"]["body"]

    assert podman("exec", deployment.name, "id", "-u").stdout.strip() == "10001"  # not root
    health = podman("healthcheck", "run", deployment.name, check=False)
    assert health.returncode == 0, health.stdout + health.stderr

    started = time.monotonic()
    podman("stop", "--time", "30", deployment.name)
    took = time.monotonic() - started
    print(f"podman stop: {took:.1f} s")
    assert took < 10, "podman stop took longer than the bot's 10 s"
    code = podman("inspect", "--format", "{{.State.ExitCode}}", deployment.name).stdout
    assert code.strip() == "0", deployment.logs()

    await _after_the_stop(deployment)


async def _after_the_stop(deployment: Deployment) -> None:
    """The health check fails without the bot; the state in the volume is the bot's alone."""
    check = ["/usr/local/lib/natm-bot/healthcheck.py", CONFIG]
    unhealthy = await deployment.once_as("/opt/natm-bot/bin/python", *check)
    assert unhealthy.returncode == 1, unhealthy.stdout + unhealthy.stderr
    assert "no `natm-bot run` process" in unhealthy.stdout

    files = await deployment.once_as(
        "stat", "-c", "%U %a %n", STATE, f"{STATE}/natm-bot.sqlite3", f"{STATE}/store"
    )
    assert files.stdout.split("\n")[:3] == [
        f"natm-bot 700 {STATE}",
        f"natm-bot 600 {STATE}/natm-bot.sqlite3",
        f"natm-bot 700 {STATE}/store",
    ], files.stdout + files.stderr


async def test_a_bad_config_stops_the_image_with_exit_code_2(deployment: Deployment) -> None:
    deployment.config.write_text("matrix: {homeserver: nowhere}\n", encoding="utf-8")
    result = await deployment.once("run", "-c", CONFIG)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "matrix.homeserver" in result.stderr


# README's install steps for the unit, after the bot is in /opt/natm-bot and the unit in
# /etc/systemd/system (bot.yaml waits in /root).
INSTALL = """
set -e
systemd-sysusers
install -d -o natm-bot -g natm-bot -m 0700 /var/lib/natm-bot
install -d -m 0755 /etc/natm-bot
install -o root -g natm-bot -m 0640 /root/bot.yaml /etc/natm-bot/bot.yaml
runuser -u natm-bot -- /opt/natm-bot/bin/natm-bot login -c /etc/natm-bot/bot.yaml
systemctl enable --now natm-bot
"""


@pytest.fixture
def systemd_host(image: str, tmp_path: Path) -> Iterator[SystemdHost]:
    """A machine booting systemd with the bot and its unit installed; removed at the end."""
    context = tmp_path / "systemd-host"
    context.mkdir()
    host = SystemdHost(build_systemd_host(image, f"{image}-systemd", context))
    yield host
    host.remove()


async def _settled(host: SystemdHost, done: Callable[[dict[str, str]], bool]) -> dict[str, str]:
    """The unit's state once `done` says it has settled (or as it is after 30 s)."""
    for _ in range(100):
        if done(state := host.show("natm-bot")):
            break
        await asyncio.sleep(0.3)  # polling systemctl, which has no way to wait for a state
    return state


async def test_the_unit_runs_the_bot_under_systemd(
    systemd_host: SystemdHost,
    synapse: LocalSynapse,
    bot_account: tuple[str, str],
    people: People,
    tmp_path: Path,
) -> None:
    host, (user_id, password) = systemd_host, bot_account
    config = _config(tmp_path / "etc", synapse, user_id)
    podman("cp", str(config), f"{host.name}:/root/bot.yaml")
    await asyncio.to_thread(_wait_for_boot, host)
    done = await asyncio.to_thread(host.sh, INSTALL, {"NATM_BOT_PASSWORD": password})
    assert done.returncode == 0, done.stdout + done.stderr
    alice = await people("alice")
    running = await _settled(host, lambda s: s["SubState"] != "running" or _synced(host))
    assert running["SubState"] == "running" and _synced(host), host.journal("natm-bot")

    room = await alice.create_room([user_id], encrypted=True)
    await alice.wait_joined(room, user_id)
    reply = await alice.ask(room, "!principles", user_id)
    assert PRINCIPLE_1 in reply.source["content"]["body"]

    started = time.monotonic()
    assert host.sh("systemctl stop natm-bot").returncode == 0
    assert time.monotonic() - started < 10
    stopped = host.show("natm-bot")
    assert (stopped["ActiveState"], stopped["ExecMainStatus"]) == ("inactive", "0"), stopped

    host.sh("echo 'matrix: {homeserver: nowhere}' > /etc/natm-bot/bot.yaml")
    host.sh("systemctl start natm-bot")
    failed = await _settled(host, lambda s: s["SubState"] in ("failed", "auto-restart"))
    assert failed["SubState"] == "failed", f"restarted on a bad config: {failed}"
    assert (failed["ExecMainStatus"], failed["NRestarts"]) == ("2", "0"), failed


def _wait_for_boot(host: SystemdHost) -> None:
    """Until systemd has started the machine (running, or degraded by a unit of no concern)."""
    state = host.sh("systemctl is-system-running --wait").stdout.strip()
    assert state in ("running", "degraded"), host.sh("systemctl --failed --no-pager").stdout


def _synced(host: SystemdHost) -> bool:
    """Whether the bot under systemd has connected to the homeserver."""
    return "connected to" in host.journal("natm-bot")
