"""Files in and out: member and data files with hidden characters are refused with file, row
and key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from natm_bot.cli import main
from natm_bot.content import load_content
from natm_bot.paths import bundled
from natm_bot.validation import FileProblems

HEADER = "name,category,country,languages,website,description,contact,joined\n"


def _config(folder: Path) -> str:
    config = folder / "bot.yaml"
    config.write_text("paths:\n  database: bot.sqlite3\n")
    return str(config)


def test_a_members_file_with_control_characters_imports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    source = tmp_path / "members.csv"
    source.write_text(
        HEADER
        + "Radio \u202egnp.exe,civil-society,KE,en,https://a.example.org,Fine.,,\n"
        + "Radio Two,civil-society,KE,en,https://b.example.org,Evil \x1b[2J text,,\n",
        encoding="utf-8",
    )
    assert main(["import", "members", str(source), "-c", config]) == 1
    err = capsys.readouterr().err
    assert "members.csv: row 2: name: contains an invisible right-to-left override (U+202E)" in err
    assert "members.csv: row 3: description: contains a control character (U+001B)" in err
    assert "\x1b" not in err and "\u202e" not in err
    assert main(["export", "members", "--format", "json", "-c", config]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_data_files_with_control_characters_are_refused_with_file_and_key(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    shutil.copytree(bundled("data"), data)
    groups = data / "groups.yaml"
    text = groups.read_text(encoding="utf-8")
    assert 'name: "Algorithm Observatory"' in text
    groups.write_text(text.replace('name: "Algorithm Observatory"', 'name: "Algo \\u202Egnp"'))
    with pytest.raises(FileProblems) as caught:
        load_content(data)
    [problem] = caught.value.problems
    assert problem.startswith(f"{groups}: groups.")
    assert ".name: contains an invisible right-to-left override (U+202E)" in problem
