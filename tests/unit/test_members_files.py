"""The members directory from the shell: export as CSV, JSON or YAML, import YAML or CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from natm_bot.config.settings import load_config
from natm_bot.frontends.cli import main
from natm_bot.frontends.offline import offline_app

YAML_FILE = """members:
  - name: "Example Community Network"
    category: civil-society
    country: KE
    languages: [en, sw]
    website: "https://example.org"
    description: "An invented organisation for this test."
    contact: "#example:example.org"
    joined: 2022-05-01
  - name: "Escuela Inventada"
    category: Institutions of learning
    country: Peru
    website: "https://escuela.example.edu"
    description: "Another invented one, with an accent: educación."
"""

CSV_HEADER = "name,category,country,languages,website,description,contact,joined\n"


def _config(folder: Path) -> str:
    config = folder / "bot.yaml"
    config.write_text("paths:\n  database: bot.sqlite3\n")
    return str(config)


def _names(config: str) -> list[str]:
    async def read() -> list[str]:
        async with offline_app(load_config(Path(config))) as app:
            return [org.info.name for org in await app.members.store.all()]

    return asyncio.run(read())


def test_import_yaml_then_export_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    source = tmp_path / "members.yaml"
    source.write_text(YAML_FILE, encoding="utf-8")
    assert main(["import", "members", str(source), "-c", config]) == 0
    assert capsys.readouterr().out == (
        "Imported members.yaml: 2 organisations added, 0 updated.\n"
    )
    assert main(["export", "members", "-c", config]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["name"] for r in rows] == ["Escuela Inventada", "Example Community Network"]
    assert rows[0]["country"] == "PE" and rows[0]["category"] == "learning"
    assert rows[1]["languages"] == "en,sw" and rows[1]["joined"] == "2022-05-01"
    assert main(["export", "members", "--format", "json", "-c", config]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported[1]["languages"] == ["en", "sw"]
    assert exported[0]["description"].endswith("educación.")
    assert main(["export", "members", "--format", "yaml", "-c", config]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == {"members": exported}


def test_an_export_imports_into_another_database_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    source = tmp_path / "members.yaml"
    source.write_text(YAML_FILE, encoding="utf-8")
    assert main(["import", "members", str(source), "-c", _config(first)]) == 0
    for form in ("csv", "yaml"):
        capsys.readouterr()
        assert main(["export", "members", "--format", form, "-c", _config(first)]) == 0
        exported = tmp_path / f"export.{form}"
        exported.write_text(capsys.readouterr().out, encoding="utf-8")
        assert main(["import", "members", str(exported), "-c", _config(second)]) == 0
        capsys.readouterr()
        assert main(["export", "members", "--format", "json", "-c", _config(second)]) == 0
        again = capsys.readouterr().out
        assert main(["export", "members", "--format", "json", "-c", _config(first)]) == 0
        assert capsys.readouterr().out == again, form


def test_a_bad_csv_reports_every_problem_by_row_and_imports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    source = tmp_path / "members.csv"
    source.write_text(
        CSV_HEADER
        + 'Good One,civil-society,KE,en,https://good.example.org,"Fine.",,\n'
        + "Bad One,sports,ZZ,xx,good.example.org,,bob,2999-01-01\n"
        + 'good one,learning,KE,,https://x.example.org,"Same name.",,\n',
        encoding="utf-8",
    )
    assert main(["import", "members", str(source), "-c", config]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "Read members.csv as comma-separated, UTF-8."
    assert "members.csv: row 3: category: “sports” is not a member category" in err[1]
    for field in ("country", "languages", "website", "description", "contact", "joined"):
        assert any(line.startswith(f"members.csv: row 3: {field}: ") for line in err), field
    assert "members.csv: row 4: name: repeats row 2" in err
    assert err[-1] == "8 problems found; nothing was imported."
    assert _names(config) == []


def test_unreadable_files_and_wrong_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    assert main(["import", "members", str(tmp_path / "missing.yaml"), "-c", config]) == 1
    assert "cannot be read" in capsys.readouterr().err
    wrong = tmp_path / "list.yaml"
    wrong.write_text("- just a list\n")
    assert main(["import", "members", str(wrong), "-c", config]) == 1
    assert "must hold a list under the key `members:`" in capsys.readouterr().err
    for argv in (
        ["import", "members", "-c", config],
        ["import", "groups", str(wrong), "-c", config],
        ["export", "members", "--group", "algo", "-c", config],
        ["export", "signups", "--format", "yaml", "-c", config],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2, argv


# The same two organisations as Excel saves them: Spanish, French and Portuguese Excel write
# semicolons in the Windows code page, "Unicode text" is UTF-16 with tabs, and "CSV UTF-8"
# starts with a byte order mark.
EXCEL_ROWS = [
    ["name", "category", "country", "languages", "website", "description"],
    ["Asociación Ñandú", "civil-society", "PE", "es", "https://nandu.example.org", "Educación"],
    ["Réseau Été", "learning", "SN", "fr", "https://ete.example.org", "Ça marche, à Dakar"],
]


def _excel(separator: str) -> str:
    return "".join(separator.join(row) + "\r\n" for row in EXCEL_ROWS)


@pytest.mark.parametrize(
    ("data", "read_as"),
    [
        (_excel(";").encode("cp1252"), "semicolon-separated, Windows-1252"),
        (b"\xff\xfe" + _excel("\t").encode("utf-16-le"), "tab-separated, UTF-16"),
        (b"\xfe\xff" + _excel("\t").encode("utf-16-be"), "tab-separated, UTF-16"),
        (
            b"\xef\xbb\xbf" + _excel(";").encode("utf-8"),
            "semicolon-separated, UTF-8 with a byte order mark",
        ),
        (_excel(",").replace("Ça marche, à", "Ça marche à").encode(), "comma-separated, UTF-8"),
    ],
)
def test_csv_files_as_excel_saves_them_in_each_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, read_as: str
) -> None:
    config = _config(tmp_path)
    source = tmp_path / "members.csv"
    source.write_bytes(data)
    assert main(["import", "members", str(source), "-c", config]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.splitlines() == [
        f"Read members.csv as {read_as}.",
        "Imported members.csv: 2 organisations added, 0 updated.",
    ]
    assert sorted(_names(config)) == ["Asociación Ñandú", "Réseau Été"]


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "it is empty"),
        (b"\xef\xbb\xbf \r\n;;;\r\n", "it is empty"),
        (b"PK\x03\x04\x14\x00\x06\x00", "it is a spreadsheet workbook, not CSV"),
        (b"name,category\x00\x01\x02", "it is not a text file"),
        (b"\x01\x02\x03\x04name\r\n", "it is not a text file"),
        ("name\r\nÑandú\r\n".encode() + "Été\r\n".encode("cp1252"), "it mixes UTF-8 with"),
        (b"\xff\xfe" + b"n\x00\x00\xd8", "it starts as UTF-16 text but is not UTF-16"),
    ],
)
def test_what_cannot_be_read_is_refused_in_one_plain_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, why: str
) -> None:
    config = _config(tmp_path)
    source = tmp_path / "members.csv"
    source.write_bytes(data)
    assert main(["import", "members", str(source), "-c", config]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"members.csv: cannot be read as CSV: {why}"), err
    assert err[1:] == ["1 problem found; nothing was imported."]
    assert "codec" not in err[0]


def test_problems_of_a_semicolon_file_say_how_it_was_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    source = tmp_path / "members.csv"
    rows = [*EXCEL_ROWS, ["Mala", "sports", "PE", "es", "https://mala.example.org", "x"]]
    source.write_bytes("".join(";".join(row) + "\r\n" for row in rows).encode("cp1252"))
    assert main(["import", "members", str(source), "-c", config]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "Read members.csv as semicolon-separated, Windows-1252."
    assert err[1].startswith("members.csv: row 4: category: “sports”"), err
    assert err[2:] == ["1 problem found; nothing was imported."]
