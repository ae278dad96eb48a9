"""The command line under careless use: options in any order, a clear line instead of a
traceback when the homeserver is unreachable, and quiet when an export's reader stops."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from natm_bot.frontends.cli import _parser, main

ROOT = Path(__file__).resolve().parents[2]
HEADER = "name,category,country,languages,website,description,contact,joined\n"


def _config(folder: Path, extra: str = "") -> str:
    config = folder / "bot.yaml"
    config.write_text("paths:\n  database: bot.sqlite3\n" + extra)
    return str(config)


def test_import_members_takes_its_options_in_any_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    source = tmp_path / "members.csv"
    source.write_text(HEADER + "Radio One,civil-society,KE,en,https://a.example.org,Fine.,,\n")
    for argv in (
        ["import", "members", "-c", config, str(source)],
        ["import", "-c", config, "members", str(source)],
        ["import", "members", str(source), "-c", config],
    ):
        assert main(argv) == 0, argv
        assert "Imported members.csv" in capsys.readouterr().out
    assert main(["export", "signups", "-c", config, "--group", "algo"]) == 0


@given(
    # the words keep their order (what, then FILE); the options go anywhere
    st.permutations([("members",), ("-c", "bot.yaml"), ("FILE",)]).filter(
        lambda parts: parts.index(("members",)) < parts.index(("FILE",))
    ),
    st.permutations([("signups",), ("-c", "bot.yaml"), ("--group", "algo"), ("--format=json",)]),
)
def test_the_command_line_reads_words_and_options_in_any_order(
    imports: list[tuple[str, ...]], exports: list[tuple[str, ...]]
) -> None:
    parser = _parser()
    read = parser.parse_args(["import", *(word for part in imports for word in part)])
    assert (read.what, read.config, read.file) == ("members", Path("bot.yaml"), Path("FILE"))
    read = parser.parse_args(["export", *(word for part in exports for word in part)])
    assert (read.what, read.group, read.format) == ("signups", "algo", "json")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_login_to_an_unreachable_homeserver_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(
        tmp_path,
        f"matrix:\n  homeserver: http://127.0.0.1:{_closed_port()}\n"
        "  user_id: '@bot:localhost'\n  store_dir: state\n",
    )
    monkeypatch.setenv("NATM_BOT_PASSWORD", "not-used")
    assert main(["login", "-c", config]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    [line] = err.strip().splitlines()
    assert line.startswith("natm-bot: cannot reach the homeserver at http://127.0.0.1:")
    assert not (tmp_path / "state" / "credentials.json").exists()


@pytest.mark.parametrize(
    "export",
    [["signups"], ["members", "--format", "json"], ["members", "--format", "yaml"], ["ics"]],
)
def test_an_export_into_a_closed_pipe_stops_quietly(tmp_path: Path, export: list[str]) -> None:
    """What `natm-bot export … | head` does when head has read enough."""
    config = _config(tmp_path)
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "natm_bot", "export", *export, "-c", config],
            stdout=writer,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
    finally:
        os.close(writer)
    err = done.stderr.decode()
    assert "BrokenPipeError" not in err and "Traceback" not in err, err
    assert done.returncode == 141
