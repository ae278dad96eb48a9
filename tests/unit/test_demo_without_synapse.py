"""`natm-bot demo` where Synapse is not installed says in one line what to install."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The demo, with Synapse out of reach as if it were not installed.
WITHOUT_SYNAPSE = (
    "import sys; sys.modules['synapse'] = None; "
    "from natm_bot.frontends.cli import main; sys.exit(main(sys.argv[1:]))"
)


def test_the_demo_without_synapse_says_what_to_install(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", WITHOUT_SYNAPSE, "demo", "--dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,  # a Synapse it might start goes with it
    )
    try:
        out, err = process.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 1
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("natm-bot: the demo runs a local Synapse homeserver, which is not")
    assert "pip install 'natm-bot[demo]'" in line
    assert not (tmp_path / "demo").exists()


def test_the_demo_extra_installs_synapse() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    [synapse] = project["optional-dependencies"]["demo"]
    assert synapse.startswith("matrix-synapse")
    assert synapse in project["optional-dependencies"]["dev"]
