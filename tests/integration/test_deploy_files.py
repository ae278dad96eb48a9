"""The Dockerfile, compose.yaml and the systemd unit agree on where things are."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
STATE = "/var/lib/natm-bot"
CONFIG = "/etc/natm-bot/bot.yaml"


def instructions() -> dict[str, list[str]]:
    """The final stage's Dockerfile instructions, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    final = re.split(r"^FROM ", text, flags=re.MULTILINE)[-1]
    found: dict[str, list[str]] = {}
    for line in final.splitlines():
        if line.strip() and not line.startswith("#"):
            word, _, rest = line.strip().partition(" ")
            found.setdefault(word, []).append(" ".join(rest.split()))
    return found


def test_the_image_runs_the_bot_as_its_own_user_on_the_mounted_config() -> None:
    image = instructions()
    assert image["USER"] == ["natm-bot"]
    assert json.loads(image["VOLUME"][0]) == [STATE]
    assert json.loads(image["ENTRYPOINT"][0]) == ["natm-bot"]
    assert json.loads(image["CMD"][0]) == ["run", "-c", CONFIG]
    assert image["STOPSIGNAL"] == ["SIGTERM"]
    assert CONFIG in image["HEALTHCHECK"][0]


def test_compose_mounts_the_state_volume_and_the_config_read_only() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    bot = compose["services"]["natm-bot"]
    targets = {mount.split(":", 1)[1] for mount in bot["volumes"]}
    assert targets == {STATE, f"{CONFIG}:ro"}
    assert bot["build"] == "."
    assert set(compose["services"]) == {"natm-bot", "synapse"}


def test_the_unit_uses_the_same_folders_as_the_image() -> None:
    unit = (ROOT / "deploy" / "natm-bot.service").read_text(encoding="utf-8")
    assert f"ExecStart=/opt/natm-bot/bin/natm-bot run -c {CONFIG}\n" in unit
    assert f"WorkingDirectory={STATE}\n" in unit
    assert "StateDirectory=natm-bot\n" in unit  # /var/lib/ + this
