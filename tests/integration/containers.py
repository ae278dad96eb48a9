"""The bot's container image under podman, as README's "Running in production" builds and
runs it, with the settings these test machines need (no registry reachable: a Debian base
image made locally; hybrid cgroups: chroot builds, runc with cgroupfs)."""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = "docker.io/library/debian:bookworm-slim"
# Runtime settings of these machines; on an ordinary podman or Docker host none are needed.
RUN_FLAGS = ("--runtime", "runc", "--cgroup-manager", "cgroupfs")
RUN_OPTIONS = ("--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096", "--network", "host")
LOCK = Path(tempfile.gettempdir()) / "natm-bot-base-image.lock"
CA_BUNDLE = Path(os.environ.get("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt"))


def podman(
    *args: str, timeout: float = 120, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run podman with this machine's runtime settings; its output as text. `env` adds to
    the environment (for secrets that must not be seen on a command line)."""
    result = subprocess.run(
        ["podman", *RUN_FLAGS, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


@contextmanager
def _locked() -> Iterator[None]:
    """One base-image build at a time on this machine, whoever runs the tests."""
    with LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_base_image() -> None:
    """debian:bookworm-slim in podman's image store: made once per machine from Debian's
    own packages with debootstrap (no registry needed), then reused."""
    with _locked():
        if podman("image", "exists", BASE_IMAGE, check=False).returncode == 0:
            return
        rootfs = Path(tempfile.mkdtemp(prefix="natm-bot-rootfs-"))
        try:
            subprocess.run(
                ["debootstrap", "--variant=minbase", "bookworm", str(rootfs)],
                capture_output=True,
                check=True,
                timeout=900,
            )
            tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
            subprocess.run(
                ["podman", "import", "-", BASE_IMAGE],
                stdin=tar.stdout,
                capture_output=True,
                check=True,
                timeout=600,
            )
            assert tar.wait() == 0, "tar of the Debian root file system failed"
        finally:
            shutil.rmtree(rootfs, ignore_errors=True)


def build_image(tag: str) -> float:
    """Build the repository's Dockerfile as `tag`; the seconds it took."""
    ensure_base_image()
    secret = ["--secret", f"id=pip-ca,src={CA_BUNDLE}"] if CA_BUNDLE.is_file() else []
    started = time.monotonic()
    podman(
        "build",
        "--isolation",
        "chroot",
        "--pull=never",
        "--format",
        "docker",
        *secret,
        "-t",
        tag,
        "-f",
        str(ROOT / "Dockerfile"),
        str(ROOT),
        timeout=1200,
    )
    return time.monotonic() - started


def build_systemd_host(bot_image: str, tag: str, context: Path) -> str:
    """An image that boots systemd with the unit and the bot of `bot_image` installed."""
    for name in ("natm-bot.service", "natm-bot.sysusers"):
        shutil.copy(ROOT / "deploy" / name, context / name)
    shutil.copy(Path(__file__).with_name("systemd-host.Containerfile"), context / "Containerfile")
    podman(
        "build",
        "--isolation",
        "chroot",
        "--pull=never",
        "--build-arg",
        f"BOT_IMAGE={bot_image}",
        "-t",
        tag,
        str(context),
        timeout=1200,
    )
    return tag


def image_ids() -> set[str]:
    """Every image in podman's store, intermediate ones too."""
    return set(podman("images", "--all", "--quiet", "--no-trunc").stdout.split())


def remove_images_since(before: set[str]) -> None:
    """Remove the images made since `before` (a build's stages and layers), leaving the
    base image, and anything else that was there, for the next build."""
    for _ in range(3):  # a layer goes once the layers made from it are gone
        made = sorted(image_ids() - before)
        if not made:
            return
        podman("rmi", *made, check=False)


def new_name(prefix: str) -> str:
    """A name no other test run on this machine uses."""
    return f"{prefix}-{secrets.token_hex(4)}"


class SystemdHost:
    """A container booting systemd, as a small Debian server would (privileged: the unit's
    sandbox needs namespaces and mounts of its own)."""

    def __init__(self, image: str) -> None:
        self.name = new_name("natm-bot-host")
        podman(
            "run", "-d", "--name", self.name, "--privileged", "--systemd=always",
            *RUN_OPTIONS, image,
        )  # fmt: skip

    def sh(
        self, script: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A shell script as root on the host; `env` passed by name only."""
        passed = [f"--env={key}" for key in env or {}]
        return podman("exec", *passed, self.name, "sh", "-c", script, check=False, env=env)

    def show(self, unit: str) -> dict[str, str]:
        """The unit's state as systemctl shows it."""
        result = self.sh(
            f"systemctl show {unit} -p ActiveState -p SubState -p ExecMainStatus -p NRestarts"
        )
        return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)

    def journal(self, unit: str) -> str:
        """What the unit logged."""
        return self.sh(f"journalctl -u {unit} --no-pager -o cat").stdout

    def remove(self) -> None:
        """The container goes."""
        podman("rm", "--force", "--time", "0", self.name, check=False)
