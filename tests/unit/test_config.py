"""bot.yaml validation: every problem reported at once, with file and dotted path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from natm_bot.config.settings import load_config, parse_duration
from natm_bot.config.validation import FileProblems
from natm_bot.frontends.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_example_config_is_valid_and_complete() -> None:
    config = load_config(ROOT / "bot.example.yaml")
    assert config.bot.prefix == "!"
    assert config.matrix is not None
    assert config.matrix.max_command_age == 3600
    assert config.resolve(config.paths.database) == ROOT / "state" / "natm-bot.sqlite3"
    assert config.onboarding.rooms == [] and config.onboarding.follow_up == 3 * 86400
    assert config.onboarding.ignored("@telegram_42:example.org")
    assert main(["check-config", "-c", str(ROOT / "bot.example.yaml")]) == 0


def test_three_mistakes_give_three_messages_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bot.yaml"
    bad.write_text(
        "bot:\n  prefix: '!'\n  admins: [alice]\n  colour: blue\n"
        "matrix:\n  homeserver: not-a-url\n  user_id: '@bot:example.org'\n"
    )
    assert main(["check-config", "-c", str(bad)]) == 2
    err = capsys.readouterr().err
    problems = [line for line in err.splitlines() if line.startswith(str(bad))]
    assert len(problems) == 3, err
    assert f"{bad}: bot.admins.0: must be a Matrix user id" in err
    assert f"{bad}: bot.colour: unknown key" in err
    assert f"{bad}: matrix.homeserver: must be a URL" in err
    assert "3 problems found" in err


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    bad = tmp_path / "bot.yaml"
    bad.write_text("bot:\n  prefix: [\n")
    with pytest.raises(FileProblems) as caught:
        load_config(bad)
    assert "not valid YAML (line" in caught.value.problems[0]


def test_missing_file_is_one_clear_problem(tmp_path: Path) -> None:
    assert main(["check-config", "-c", str(tmp_path / "nope.yaml")]) == 2


@pytest.mark.parametrize(
    ("snippet", "path"),
    [
        ("bot: {prefix: 'ab'}", "bot.prefix"),
        ("bot: {display_timezones: [Mars/Olympus]}", "bot.display_timezones.0"),
        ("bot: {moderator_power_level: 500}", "bot.moderator_power_level"),
        ("movement: {email_list: nope}", "movement.email_list"),
        (
            "matrix: {homeserver: 'http://x', user_id: '@b:x', max_command_age: soon}",
            "matrix.max_command_age",
        ),
        ("matrix: {homeserver: 'http://x'}", "matrix.user_id"),
        ("base_dir: /etc", "base_dir"),
    ],
)
def test_each_kind_of_mistake_is_named(tmp_path: Path, snippet: str, path: str) -> None:
    bad = tmp_path / "bot.yaml"
    bad.write_text(snippet + "\n")
    with pytest.raises(FileProblems) as caught:
        load_config(bad)
    assert [p.split(": ")[1] for p in caught.value.problems] == [path]


def test_durations() -> None:
    assert [parse_duration(v) for v in (90, "90s", "15m", "1h", "2d", "1w")] == [
        90,
        90,
        900,
        3600,
        172800,
        604800,
    ]
    with pytest.raises(ValueError):
        parse_duration("an hour")


def test_bad_data_file_stops_start_up_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    principles = data / "principles.yaml"
    content = yaml.safe_load(principles.read_text(encoding="utf-8"))
    del content["principles"][1]["text"]
    principles.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    config = tmp_path / "bot.yaml"
    config.write_text("paths:\n  data_dir: data\n")
    assert main(["console", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{principles}: principles.1.text: required, but missing" in err
