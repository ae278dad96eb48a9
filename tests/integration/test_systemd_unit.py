"""deploy/natm-bot.service: systemd accepts it, it says what README promises, its sandbox
rates well in `systemd-analyze security`, and the bot works under its memory rule and ends
with the exit codes the unit does not restart on."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from natm_bot.testing.devserver import LocalSynapse
from tests.integration.people import BotProcess, Person

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("systemd-analyze") is None,
        reason="systemd-analyze is not installed (`.ci/run` installs systemd on Debian)",
    ),
]

People = Callable[[str], Awaitable[Person]]
UNIT = Path(__file__).resolve().parents[2] / "deploy" / "natm-bot.service"
INSTALLED = "/opt/natm-bot/bin/natm-bot"
PRINCIPLE_1 = "Data extraction is illegitimate."
# prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN): what MemoryDenyWriteExecute=yes does on
# Linux 6.3 and newer (systemd 253 and newer use it); kept across exec.
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1


def settings(unit: Path = UNIT) -> dict[str, list[str]]:
    """Every `Key=value` of the unit, values in order (a key may be given more than once)."""
    found: dict[str, list[str]] = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def unit_here(folder: Path) -> Path:
    """A copy of the unit whose ExecStart is this machine's natm-bot: `verify` wants the
    program to exist, and nothing is installed under /opt here."""
    installed_here = Path(sys.executable).parent / "natm-bot"
    assert installed_here.is_file(), installed_here
    copy = folder / UNIT.name
    copy.write_text(UNIT.read_text().replace(INSTALLED, str(installed_here)), encoding="utf-8")
    return copy


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    """systemd-analyze, its output as text."""
    return subprocess.run(
        ["systemd-analyze", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_systemd_analyze_verify_passes(tmp_path: Path) -> None:
    result = analyze("verify", str(unit_here(tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.strip() == "", result.stderr  # not even a warning


def test_the_unit_says_what_readme_promises() -> None:
    unit = settings()
    assert unit["ExecStart"] == [f"{INSTALLED} run -c /etc/natm-bot/bot.yaml"]
    assert unit["User"] == ["natm-bot"]
    assert unit["StateDirectory"] == ["natm-bot"]
    assert unit["StateDirectoryMode"] == ["0700"]
    assert unit["ConfigurationDirectory"] == ["natm-bot"]
    assert unit["WorkingDirectory"] == ["/var/lib/natm-bot"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["RestartPreventExitStatus"] == ["2 3 4"]
    assert unit["KillSignal"] == ["SIGTERM"]
    assert unit["UMask"] == ["0077"]
    for key, value in {
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "NoNewPrivileges": "yes",
        "MemoryDenyWriteExecute": "yes",
        "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    }.items():
        assert unit[key] == [value], key
    assert "@system-service" in unit["SystemCallFilter"]
    stop = re.fullmatch(r"(\d+)s", unit["TimeoutStopSec"][0])
    assert stop and int(stop[1]) > 10, "the bot may take 10 s to stop"


def test_the_sandbox_rates_ok(tmp_path: Path) -> None:
    result = analyze("security", "--offline=yes", str(unit_here(tmp_path)))
    level = re.search(
        r"Overall exposure level for natm-bot\.service: ([\d.]+) (\w+)", result.stdout
    )
    assert level, result.stdout + result.stderr
    print(f"\nsystemd-analyze security: {level[1]} {level[2]}")
    assert float(level[1]) <= 2.0, result.stdout  # 0 to 10; below 2 is "OK" or better


def test_a_bad_config_exits_with_a_code_the_unit_does_not_restart(tmp_path: Path) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text("matrix: {homeserver: nowhere}\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "natm_bot", "run", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "matrix.homeserver" in result.stderr
    assert str(result.returncode) in settings()["RestartPreventExitStatus"][0].split()


# Runs `python ARGS…` under prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN).
WITHOUT_WRITABLE_CODE = (
    "import ctypes, os, sys\n"
    f"if ctypes.CDLL(None, use_errno=True).prctl({PR_SET_MDWE}, {PR_MDWE_REFUSE_EXEC_GAIN},"
    " 0, 0, 0) != 0:\n"
    "    sys.exit(f'prctl: {os.strerror(ctypes.get_errno())}')\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n"
)


class BotWithoutWritableCode(BotProcess):
    """`natm-bot run` that may not make memory both writable and executable, as under
    MemoryDenyWriteExecute=yes."""

    def spawn(self, env: dict[str, str] | None = None) -> None:
        """Start it under PR_SET_MDWE."""
        run = ["-m", "natm_bot", "run", "-c", str(self.config)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", WITHOUT_WRITABLE_CODE, *run],
                stdout=log,
                stderr=subprocess.STDOUT,
            )


def _mdwe_of_a_program_started_so() -> str:
    """PR_GET_MDWE as seen by a program started as the bot is: "1" when the rule holds."""
    probe = f"import ctypes; print(ctypes.CDLL(None).prctl({PR_SET_MDWE + 1}, 0, 0, 0, 0))"
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_WRITABLE_CODE, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or result.stderr.strip()


async def test_under_memory_deny_write_execute_the_bot_answers_and_ends_with_code_3(
    synapse: LocalSynapse, bot_account: tuple[str, str], people: People, tmp_path: Path
) -> None:
    if (mdwe := _mdwe_of_a_program_started_so()).startswith("prctl:"):
        pytest.skip(f"this kernel has no PR_SET_MDWE (Linux 6.3 and newer): {mdwe}")
    assert mdwe == "1", mdwe
    bot_user, password = bot_account
    bot = BotWithoutWritableCode(
        tmp_path / "bot", synapse, bot_user, invites={"allowed_servers": [synapse.server_name]}
    )
    try:
        bot.login(password)
        alice = await people("alice")
        await bot.start()
        room = await alice.create_room([bot_user], encrypted=True)
        await alice.wait_joined(room, bot_user)
        reply = await alice.ask(room, "!principles", bot_user)
        assert PRINCIPLE_1 in reply.source["content"]["body"]

        admin = await asyncio.to_thread(synapse.admin_token)
        user = urllib.parse.quote(bot_user)
        devices = await synapse.aadmin_request(
            "GET", f"/_synapse/admin/v2/users/{user}/devices", admin
        )
        for device in devices["devices"]:
            path = f"/_synapse/admin/v2/users/{user}/devices/{device['device_id']}"
            await synapse.aadmin_request("DELETE", path, admin)
        code = await bot.wait_exit(timeout=60)
        assert code == 3, bot.log_text()  # the homeserver rejected the login
        assert "3" in settings()["RestartPreventExitStatus"][0].split()
        assert "Traceback" not in bot.log_text(), bot.log_text()
    finally:
        bot.kill()
