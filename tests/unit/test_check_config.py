"""`natm-bot check-config` finds every problem the bot would meet at start, in every file it
reads there, and names each one: repeated keys and entries, members.yaml, and every problem
of an entry rather than its first."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from natm_bot.frontends.cli import main

ROOT = Path(__file__).resolve().parents[2]
ANNOUNCEMENT = {
    "id": "weekly",
    "text": "Hello",
    "rooms": ["!r:example.org"],
    "start": "2026-01-05 10:00",
}


def _setup(tmp_path: Path, bot_yaml: str = "") -> Path:
    """A bot.yaml in tmp_path reading a copy of the bundled data folder."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    config = tmp_path / "bot.yaml"
    config.write_text("paths:\n  data_dir: data\n" + bot_yaml, encoding="utf-8")
    return config


def _edit(path: Path, change: Any) -> None:
    """Load a YAML data file, let `change` alter it, write it back."""
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(content)
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), "utf-8")


def _check(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """check-config's exit code and its problem lines, without the file names."""
    code = main(["check-config", "-c", str(config)])
    err = capsys.readouterr().err
    lines = err.splitlines()
    if code:
        count = len(lines) - 1
        assert (
            lines[-1] == f"{count} problem{'s' if count != 1 else ''} found; nothing was started."
        )
    return code, [line.split(": ", 1)[1] for line in lines[:-1]]


def _paths(lines: list[str]) -> list[str]:
    return [line.split(": ", 1)[0] for line in lines]


# --- repeated YAML keys ----------------------------------------------------------------------


def test_a_key_given_twice_in_bot_yaml_is_a_problem_with_both_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text(
        "bot:\n"
        "  admins: ['@alice:example.org']\n"
        "  prefix: '!'\n"
        "  admins: ['@bob:example.org']\n"
        "meetings: {grace: 10m, grace: 20m}\n",
        encoding="utf-8",
    )
    code, lines = _check(config, capsys)
    assert code == 2
    assert lines == [
        "bot.admins: given twice, on lines 2 and 4: keep one",
        "meetings.grace: given twice, on lines 5 and 5: keep one",
    ]


def test_repeated_keys_and_other_problems_are_all_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text("bot:\n  prefix: '!'\nbot:\n  prefix: '?'\n  colour: blue\n")
    code, lines = _check(config, capsys)
    assert code == 2
    assert sorted(_paths(lines)) == ["bot", "bot.colour"]


def test_a_key_given_twice_in_a_data_file_is_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _setup(tmp_path)
    groups = tmp_path / "data" / "groups.yaml"
    text = groups.read_text(encoding="utf-8")
    groups.write_text(
        text.replace("    capacity: null\n", "    capacity: 5\n    capacity: 9\n", 1)
    )
    code, lines = _check(config, capsys)
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("groups.0.capacity: given twice, on lines")


def test_keys_that_only_look_alike_are_not_repeats(tmp_path: Path) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text(
        "bot: {prefix: '!'}\n"
        "announcements:\n"
        "  - {id: a, text: x, rooms: ['!r:example.org'], start: '2026-01-05 10:00'}\n"
        "  - {id: b, text: x, rooms: ['!r:example.org'], start: '2026-01-05 10:00'}\n"
    )
    assert main(["check-config", "-c", str(config)]) == 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("bot: {prefix: 2024-13-45}\n", "not valid YAML: month must be in 1..12"),
        ("bot: {prefix: !!int many}\n", "not valid YAML: invalid literal for int()"),
        ("bot: " + "[" * 2000 + "]" * 2000, "lists and mappings are nested more than 64 deep"),
        ("bot: {prefix: '\x07'}\n", "not valid YAML: character #x0007 is not allowed"),
    ],
)
def test_values_pyyaml_cannot_build_are_named_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, problem: str
) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text(text, encoding="utf-8")
    code, lines = _check(config, capsys)
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith(problem), lines


def test_a_data_file_that_is_not_utf8_is_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _setup(tmp_path)
    about = tmp_path / "data" / "about.yaml"
    about.write_bytes(about.read_bytes().replace(b"name:", "naïve:".encode("latin-1"), 1))
    code, lines = _check(config, capsys)
    assert code == 2
    assert lines == ["cannot be read: it is not UTF-8 text"]


# --- repeated entries ------------------------------------------------------------------------


def test_repeated_entries_in_bot_yaml_are_each_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    announcement = {
        **ANNOUNCEMENT,
        "rooms": ["!r:example.org", "#a:example.org", "!r:example.org"],
    }
    settings = {
        "bot": {
            "admins": ["@alice:example.org", "@bob:example.org", "@alice:Example.org"],
            "display_timezones": ["UTC", "Europe/Berlin", "UTC"],
        },
        "meetings": {"reminders": ["1h", "60m", "0"]},
        "safety": {"blocked_users": ["@x:spam.example", "@x:spam.example"]},
        "announcements": [announcement, ANNOUNCEMENT],
        "matrix": {
            "homeserver": "https://example.org",
            "user_id": "@bot:example.org",
            "invites": {"allowed_servers": ["example.org", "EXAMPLE.org"]},
        },
    }
    config = tmp_path / "bot.yaml"
    config.write_text(yaml.safe_dump(settings))
    code, lines = _check(config, capsys)
    assert code == 2
    assert sorted(_paths(lines)) == [
        "announcements.0.rooms.2",
        "announcements.1.id",
        "bot.admins.2",
        "bot.display_timezones.2",
        "matrix.invites.allowed_servers.1",
        "meetings.reminders.1",
        "safety.blocked_users.1",
    ]
    assert "announcements.1.id: 'weekly' is already the id of another announcement" in lines
    assert "bot.admins.2: '@alice:Example.org' is listed twice: keep one" in lines


def test_the_example_config_repeats_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert _check(ROOT / "bot.example.yaml", capsys) == (0, [])


def test_repeated_groups_names_and_coordinators_with_other_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _setup(tmp_path)

    def change(content: dict[str, Any]) -> None:
        groups = content["groups"]
        groups[0]["room"] = "not a room"
        groups[1]["id"] = groups[0]["id"]
        groups[2]["aliases"].append(groups[0]["name"].upper())
        groups[3]["coordinators"] = ["@c:example.org", "@d:example.org", "@c:example.org"]

    _edit(tmp_path / "data" / "groups.yaml", change)
    code, lines = _check(config, capsys)
    assert code == 2
    original = yaml.safe_load((ROOT / "data" / "groups.yaml").read_text("utf-8"))["groups"]
    assert sorted(_paths(lines)) == [
        "groups.0.room",
        "groups.1.id",
        f"groups.2.aliases.{len(original[2]['aliases'])}",
        "groups.3.coordinators.2",
    ]


def test_repeated_ids_and_names_in_the_other_data_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _setup(tmp_path)
    data = tmp_path / "data"

    def readings(content: dict[str, Any]) -> None:
        content["readings"][1]["id"] = content["readings"][0]["id"]
        content["readings"][2]["year"] = 1066
        content["readings"][3]["authors"] = ["Ann Author", "Bo Writer", "Ann Author"]

    def glossary(content: dict[str, Any]) -> None:
        content["terms"][1]["aliases"].append("Data Colonialism")
        content["terms"][2]["id"] = content["terms"][0]["id"]

    def about(content: dict[str, Any]) -> None:
        content["member_categories"][1]["id"] = "civil-society"

    _edit(data / "readings.yaml", readings)
    _edit(data / "glossary.yaml", glossary)
    _edit(data / "about.yaml", about)
    code, lines = _check(config, capsys)
    assert code == 2
    paths = _paths(lines)
    assert "readings.1.id" in paths and "readings.2.year" in paths
    assert "readings.3.authors.2" in paths
    assert any(p.startswith("terms.1.aliases.") for p in paths) and "terms.2.id" in paths
    assert "member_categories.1.id" in paths


# --- every problem of an entry ---------------------------------------------------------------


def test_every_problem_of_an_announcement_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = {
        **ANNOUNCEMENT,
        "start": "next tuesday",
        "timezone": "Mars/Olympus",
        "repeat": "whenever",
        "rooms": ["nowhere"],
    }
    config = tmp_path / "bot.yaml"
    config.write_text(yaml.safe_dump({"announcements": [broken]}))
    code, lines = _check(config, capsys)
    assert code == 2
    assert sorted(_paths(lines)) == [
        "announcements.0.repeat",
        "announcements.0.rooms.0",
        "announcements.0.start",
        "announcements.0.timezone",
    ]
    assert "announcements.0.start: Write the date and time as 20" in " ".join(lines)


def test_a_dst_gap_start_is_still_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gap = {**ANNOUNCEMENT, "start": "2026-03-29 02:30", "timezone": "Europe/Berlin"}
    config = tmp_path / "bot.yaml"
    config.write_text(yaml.safe_dump({"announcements": [gap]}))
    code, lines = _check(config, capsys)
    assert code == 2
    assert lines == ["announcements.0: 2026-03-29 02:30 does not exist in Europe/Berlin (DST gap)"]


def test_base_dir_in_bot_yaml_does_not_hide_other_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text("base_dir: /etc\nbot: {prefix: 'abcd'}\n")
    code, lines = _check(config, capsys)
    assert code == 2
    assert sorted(_paths(lines)) == ["base_dir", "bot.prefix"]


def test_every_unknown_see_also_and_numbering_beside_other_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _setup(tmp_path)
    data = tmp_path / "data"

    def glossary(content: dict[str, Any]) -> None:
        content["terms"][0]["see_also"].append("nowhere")
        content["terms"][1]["see_also"].append("elsewhere")
        del content["terms"][2]["definition"]

    def principles(content: dict[str, Any]) -> None:
        content["principles"][3]["number"] = 7
        del content["principles"][0]["title"]

    _edit(data / "glossary.yaml", glossary)
    _edit(data / "principles.yaml", principles)
    code, lines = _check(config, capsys)
    assert code == 2
    paths = _paths(lines)
    assert "terms.2.definition" in paths
    assert any(p.startswith("terms.0.see_also.") for p in paths)
    assert any(p.startswith("terms.1.see_also.") for p in paths)
    assert "principles.0.title" in paths and "principles.3.number" in paths


# --- members.yaml ----------------------------------------------------------------------------

MEMBERS = """members:
  - name: "Example Community Network"
    category: civil-society
    country: Atlantis
    website: "https://example.org"
    description: "Invented."
  - just a name
  - name: "example  community-network"
    name: "Example Community Network"
    category: sports
    country: KE
    website: "https://example.net"
    description: "Invented too."
"""


def test_an_invalid_members_file_fails_check_config_like_an_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _setup(tmp_path)
    members = tmp_path / "data" / "members.yaml"
    members.write_text(MEMBERS, encoding="utf-8")
    code, lines = _check(config, capsys)
    assert code == 2
    assert sorted(lines) == sorted(
        [
            "entry 1: country: “Atlantis” is not a country: use a two-letter ISO 3166 code like KE"
            " for Kenya, or the country's name.",
            "entry 2: must be a mapping of fields",
            "entry 3: name: given twice, on lines 8 and 9: keep one",
            "entry 3: category: “sports” is not a member category: use one of civil-society,"
            " learning, geographic.",
            "entry 3: name: repeats entry 1",
        ]
    ), lines


def test_the_bot_refuses_to_start_on_an_invalid_members_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _setup(tmp_path)
    members = tmp_path / "data" / "members.yaml"
    members.write_text(MEMBERS, encoding="utf-8")
    assert main(["run", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{members}: entry 2: must be a mapping of fields" in err


def test_no_members_file_is_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _setup(tmp_path)
    (tmp_path / "data" / "members.yaml").unlink()
    assert _check(config, capsys) == (0, [])


def test_check_config_from_the_shell(tmp_path: Path) -> None:
    config = _setup(tmp_path, "bot: {admins: ['@a:example.org', '@a:example.org']}\n")
    (tmp_path / "data" / "members.yaml").write_text("members:\n  - 42\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "natm_bot", "check-config", "-c", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"{config}: bot.admins.1: '@a:example.org' is listed twice: keep one",
        f"{tmp_path / 'data' / 'members.yaml'}: entry 1: must be a mapping of fields",
        "2 problems found; nothing was started.",
    ]
