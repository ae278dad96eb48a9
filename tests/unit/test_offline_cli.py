"""Shell commands over the database: exporting sign-ups, re-importing groups and members."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from natm_bot.config.settings import load_config
from natm_bot.frontends.cli import main
from natm_bot.frontends.offline import offline_app
from tests.conftest import ALICE, BOB


def _signed_up_config(folder: Path) -> Path:
    config = folder / "bot.yaml"
    config.write_text("paths:\n  database: bot.sqlite3\n")

    async def sign_up() -> None:
        async with offline_app(load_config(config)) as app:
            await app.groups.join(await app.groups.resolve("algo"), ALICE)
            await app.groups.join(await app.groups.resolve("edtech"), BOB)

    asyncio.run(sign_up())
    return config


def test_export_signups_as_csv_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(_signed_up_config(tmp_path))
    assert main(["export", "signups", "-c", config]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "group,user_id,status,waitlist_position,joined_at"
    assert len(lines) == 3
    assert main(["export", "signups", "--group", "algo", "--format", "json", "-c", config]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["group"], r["user_id"], r["status"]) for r in rows] == [
        ("algorithm-observatory", ALICE, "member")
    ]
    assert main(["export", "signups", "--group", "nope", "-c", config]) == 1
    assert "There is no group called" in capsys.readouterr().err


def test_import_groups_keeps_signups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = str(_signed_up_config(tmp_path))
    assert main(["import", "groups", "-c", config]) == 0
    assert "Imported 4 groups" in capsys.readouterr().out
    assert main(["export", "signups", "-c", config]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_export_ics_writes_the_calendar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text("bot:\n  admins: ['@admin:localhost']\npaths:\n  database: bot.sqlite3\n")

    async def plan() -> None:
        async with offline_app(load_config(config)) as app:
            await app.meetings.create(
                'title="Observatory call" when="2030-01-08 18:00" tz=Europe/Berlin repeat=weekly',
                asker="@admin:localhost",
                room="!lobby:localhost",
            )

    asyncio.run(plan())
    assert main(["export", "ics", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("BEGIN:VCALENDAR")
    assert "SUMMARY:Observatory call" in out and "RRULE:FREQ=WEEKLY" in out
    assert "TZID:Europe/Berlin" in out


def test_import_members_counts_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(_signed_up_config(tmp_path))
    one = tmp_path / "one.yaml"
    one.write_text(
        "members:\n  - name: Kenya Community Networks\n    category: civil-society\n"
        "    country: KE\n    website: https://kcn.example.org\n"
        "    description: Community-owned internet.\n",
        encoding="utf-8",
    )
    assert main(["import", "members", "-c", config, str(one)]) == 0
    assert "one.yaml: 1 organisation added, 0 updated." in capsys.readouterr().out
    broken = tmp_path / "broken.yaml"
    broken.write_text("members:\n  - name: X\n", encoding="utf-8")
    assert main(["import", "members", "-c", config, str(broken)]) == 1
    assert "\n5 problems found; nothing was imported." in capsys.readouterr().err
