"""The wheel carries commands/ and data/: an installed bot works outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_runs_the_console_outside_the_repo(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    [wheel] = list(wheels.glob("natm_bot-*.whl"))
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    assert (target / "natm_bot" / "bundled" / "commands" / "principles.py").is_file()
    assert (target / "natm_bot" / "bundled" / "data" / "principles.yaml").is_file()
    config = tmp_path / "bot.yaml"
    config.write_text("paths:\n  database: bot.sqlite3\n")
    result = subprocess.run(
        [sys.executable, "-m", "natm_bot", "console", "-c", str(config)],
        input="!readings intro\n/quit\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)},
        timeout=120,
        check=True,
    )
    assert "The case for a digital non-aligned movement" in result.stdout
    assert "To fight data colonialism" in result.stdout
    loaded_from = subprocess.run(
        [sys.executable, "-c", "import natm_bot; print(natm_bot.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)},
        check=True,
    ).stdout
    assert loaded_from.startswith(str(target))
