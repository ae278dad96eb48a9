"""Files in and out: member and data files with hidden characters are refused with file, row
and key, and every CSV export is safe to open in a spreadsheet."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from natm_bot.config.content import load_content
from natm_bot.config.paths import bundled
from natm_bot.config.settings import load_config
from natm_bot.config.validation import FileProblems
from natm_bot.frontends.cli import main
from natm_bot.frontends.offline import offline_app
from tests.conftest import ALICE

HEADER = "name,category,country,languages,website,description,contact,joined\n"
HOSTILE_CSV = (
    HEADER
    + '"=HYPERLINK(""https://evil.example"",""Click"")",civil-society,KE,en,'
    + "https://a.example.org,+1+1,@someone:example.org,2022-05-01\n"
    + "-2+3 Collective,learning,KE,,https://b.example.org,@@ all of us,,\n"
)


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


def test_member_exports_neutralise_formulas_and_import_back_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    source = tmp_path / "hostile.csv"
    source.write_text(HOSTILE_CSV, encoding="utf-8")
    assert main(["import", "members", str(source), "-c", _config(first)]) == 0
    capsys.readouterr()
    assert main(["export", "members", "-c", _config(first)]) == 0
    exported = capsys.readouterr().out
    cells = [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    assert '\'=HYPERLINK("https://evil.example","Click")' in cells
    assert "'+1+1" in cells and "'@someone:example.org" in cells and "'-2+3 Collective" in cells
    again = tmp_path / "export.csv"
    again.write_text(exported, encoding="utf-8")
    assert main(["import", "members", str(again), "-c", _config(second)]) == 0
    capsys.readouterr()
    assert main(["export", "members", "--format", "json", "-c", _config(second)]) == 0
    copied = json.loads(capsys.readouterr().out)
    assert main(["export", "members", "--format", "json", "-c", _config(first)]) == 0
    assert json.loads(capsys.readouterr().out) == copied
    assert copied[0]["name"] == "-2+3 Collective" and copied[0]["description"] == "@@ all of us"


def test_signup_export_neutralises_user_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)

    async def sign_up() -> None:
        async with offline_app(load_config(Path(config))) as app:
            await app.groups.join(await app.groups.resolve("algo"), ALICE)

    asyncio.run(sign_up())
    assert main(["export", "signups", "-c", config]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[1][:2] == ["algorithm-observatory", "'" + ALICE]
