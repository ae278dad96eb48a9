"""Numbers typed in chat or written in files: out of range or in odd digits, they get a clear
answer, never "something went wrong"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from natm_bot.config.content import load_content
from natm_bot.config.paths import bundled
from natm_bot.config.validation import FileProblems
from natm_bot.engine.arguments import counting_number
from natm_bot.testing.harness import ChatHarness
from tests.conftest import ADMIN


@pytest.mark.parametrize(
    "value", ["99999999999999999999999", "100001", "²", "0", "-3", "1e3", "12.5", "٣٣٣٣٣٣"]
)
async def test_an_impossible_capacity_is_refused_clearly(bot: ChatHarness, value: str) -> None:
    reply = await bot.ask(f"!group edit algo capacity {value}", sender=ADMIN)
    assert "capacity must be a whole number from 1 to 100000" in reply, reply
    assert (await bot.app.groups.resolve("algo")).capacity is None


async def test_a_capacity_in_any_digits_within_range_works(bot: ChatHarness) -> None:
    assert "Updated the capacity" in await bot.ask("!group edit algo capacity ٣", sender=ADMIN)
    assert "0 members of 3" in await bot.ask("!group algo")
    assert "Updated the capacity" in await bot.ask(
        "!group edit algo capacity 100000", sender=ADMIN
    )


@pytest.mark.parametrize(
    "command",
    [
        "!principles ²",
        "!principles 99999999999999999999999",
        "!meeting ²",
        "!meeting 99999999999999999999999",
        "!rsvp 99999999999999999999999 yes",
        "!meeting cancel 99999999999999999999999",
        "!member 99999999999999999999999",
        "!members approve 99999999999999999999999",
        "!members edit 99999999999999999999999 country=KE",
    ],
)
async def test_odd_numbers_get_a_clear_answer(bot: ChatHarness, command: str) -> None:
    for reply in await bot.send(command, sender=ADMIN):
        assert "something went wrong" not in reply.body, command


def test_a_huge_capacity_in_groups_yaml_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(bundled("data"), data)
    groups = data / "groups.yaml"
    text = groups.read_text(encoding="utf-8")
    assert "capacity: null" in text
    groups.write_text(text.replace("capacity: null", "capacity: 99999999999999999999999", 1))
    with pytest.raises(FileProblems) as caught:
        load_content(data)
    assert any("capacity" in p for p in caught.value.problems), caught.value.problems


@given(st.text(max_size=25))
@example("²")
@example("99999999999999999999999")
@example("٣")
def test_counting_numbers(text: str) -> None:
    number = counting_number(text, 1000)
    if number is None:
        return
    assert 1 <= number <= 1000 and text.strip().isdecimal()
