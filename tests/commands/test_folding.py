"""What people type in English, Spanish, French or Portuguese, in any case, with or without
accents: command names, groups, readings, glossary terms, time zones and RSVP answers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from natm_bot.core.clock import ManualClock
from natm_bot.testing.harness import ChatHarness, make_config
from tests.conftest import ADMIN, ALICE

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
PLAN = '!meeting add title="Weekly call" when="2027-03-09 18:00" tz=Europe/Berlin repeat=weekly'


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """A bot on a fixed clock with one weekly meeting, #1."""
    async with ChatHarness(make_config(tmp_path, admins=[ADMIN]), ManualClock(START)) as harness:
        assert (await harness.ask(PLAN, sender=ADMIN)).startswith("Planned #1")
        yield harness


def _listed(body: str) -> list[str]:
    return re.findall(r"(?m)^\d+\. (.*)$", body)


@pytest.mark.parametrize(
    "typed", ["!reunión 1", "!Reunión 1", "!REUNION 1", "!reunion 1", "!réunion 1", "!reunião 1"]
)
async def test_meeting_command_in_any_language_case_and_accents(
    bot: ChatHarness, typed: str
) -> None:
    expected = await bot.ask("!meeting 1")
    assert "Weekly call" in expected
    assert await bot.ask(typed) == expected
    assert await bot.ask(unicodedata.normalize("NFD", typed)) == expected


async def test_forget_me_in_spanish_with_its_accent(bot: ChatHarness) -> None:
    english = [seen.body for seen in await bot.send("!forgetme")]
    for typed in ("!olvídame", "!Olvidame", "!OLVÍDAME", "!oublie-moi", "!esqueça-me"):
        assert [seen.body for seen in await bot.send(typed)] == english, typed


async def test_two_word_commands_fold_both_words(bot: ChatHarness) -> None:
    expected = await bot.ask("!group members ed-tech", sender=ADMIN, is_direct=True)
    assert "Ed Tech" in expected
    again = await bot.ask("!Group MEMBERS educación", sender=ADMIN, is_direct=True)
    assert again == expected
    calendar = await bot.ask("!meetings ics")
    assert calendar.startswith("The calendar of 1 meeting,")  # one meeting: the singular
    assert await bot.ask("!Meetings ICS") == await bot.ask("!CALENDAR Ics") == calendar


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("!reunon", "!reunión"), ("!olvidam", "!olvídame"), ("!ayda", "!ayuda"), ("!mting", None)],
)
async def test_did_you_mean_looks_across_every_language(
    bot: ChatHarness, typed: str, meant: str | None
) -> None:
    body = await bot.ask(typed)
    assert body.startswith(f"I don't know {typed}.")
    if meant is not None:
        assert f"Did you mean {meant}?" in body


@pytest.mark.parametrize(
    ("answer", "noted"),
    [
        ("sí", "yes"),
        ("SI", "yes"),
        ("oui", "yes"),
        ("Sim", "yes"),
        ("non", "no"),
        ("não", "no"),
        ("nao", "no"),
        ("quizás", "maybe"),
        ("tal vez", "maybe"),
        ("Peut-être", "maybe"),
        ("talvez", "maybe"),
    ],
)
async def test_rsvp_answers_in_four_languages(bot: ChatHarness, answer: str, noted: str) -> None:
    body = await bot.ask(f"!rsvp 1 {answer}", sender=ALICE)
    assert body.startswith(f"Noted: {noted} for"), body


async def test_rsvp_yes_remind_in_other_languages(bot: ChatHarness) -> None:
    for typed in ("sí recuérdame", "oui rappelle-moi", "sim lembrar", "yes remind"):
        body = await bot.ask(f"!rsvp 1 {typed}", sender=ALICE)
        assert body.startswith("Noted: yes") and "remind you" in body, body
    assert "Answer `yes`" not in await bot.ask("!rsvp 1 no", sender=ALICE)
    refused = await bot.ask("!rsvp 1 remind", sender=ALICE)
    assert refused.startswith("Answer yes, no or maybe"), refused


async def test_readings_fold_accents_and_case(bot: ChatHarness) -> None:
    avila = _listed(await bot.ask("!readings Ávila"))
    assert len(avila) == 1 and "Renata Avila Pinto" in avila[0]
    assert _listed(await bot.ask("!readings AVILA")) == avila
    mejias = _listed(await bot.ask("!readings mejías"))
    assert len(mejias) == 5 and all("Mejias" in line for line in mejias)
    assert _listed(await bot.ask("!readings MEJIAS")) == mejias


async def test_readings_match_whole_words_and_word_starts_not_inside_words(
    bot: ChatHarness,
) -> None:
    everything = _listed(await bot.ask("!readings"))
    assert len(everything) == 13
    ali = _listed(await bot.ask("!readings ali"))
    # The two "Non-Aligned" titles (a word's start in a title), then Syed Mustafa Ali (an
    # author), then the reading whose topic is non-alignment; never "colonialism" or
    # "capitalism", which hold "ali" inside.
    assert len(ali) == 5, ali
    assert all("aligned" in line.casefold() for line in ali[:2])
    assert all("Syed Mustafa Ali" in line for line in ali[2:4])
    assert "(NIIO) Revisited" in ali[4]
    colon = _listed(await bot.ask("!readings colon"))
    assert colon and all("colon" in line.casefold() for line in colon)
    assert not any("Decolonial" in line and "colonialism" not in line for line in colon)
    none = await bot.ask("!readings lonial")
    assert none.startswith("No reading matches “lonial”"), none


async def test_groups_found_by_their_names_in_every_language(bot: ChatHarness) -> None:
    expected = await bot.ask("!group ed-tech")
    for typed in ("educacion", "EDUCACIÓN", "éducation", "educação", "Educacao"):
        assert await bot.ask(f"!group {typed}") == expected, typed
    joined = await bot.ask("!unirse educacion", sender=ALICE)
    assert "Non-Aligned Ed Tech" in joined
    assert "Non-Aligned Ed Tech" in await bot.ask("!mygroups", sender=ALICE)


async def test_glossary_folds_case_and_accents(bot: ChatHarness) -> None:
    expected = await bot.ask("!glossary fediverse")
    assert expected.startswith("the Fediverse:")
    for typed in ("FÉDIVERSE", "Fédiverse", "the fediverse"):
        assert await bot.ask(f"!glossary {typed}") == expected, typed


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("europe/berlin", "Europe/Berlin"),
        ("EUROPE/BERLIN", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("Berlín", "Europe/Berlin"),
        ("berlim", "Europe/Berlin"),
        ("São Paulo", "America/Sao_Paulo"),
        ("sao paulo", "America/Sao_Paulo"),
        ("Ciudad de México", "America/Mexico_City"),
        ("Mexico City", "America/Mexico_City"),
        ("cidade do mexico", "America/Mexico_City"),
        ("america/mexico_city", "America/Mexico_City"),
        ("Nueva York", "America/New_York"),
        ("calcutta", "Asia/Kolkata"),
        ("utc", "UTC"),
    ],
)
async def test_tz_by_iana_name_in_any_case_or_city_in_any_language(
    bot: ChatHarness, typed: str, key: str
) -> None:
    body = await bot.ask(f"!tz {typed}", sender=ALICE)
    assert body == f"Your time zone is now {key}. Meeting times will include it."
    assert await bot.ask("!tz", sender=ALICE) == f"Your time zone is {key}."


async def test_tz_asks_which_one_when_a_name_fits_several(bot: ChatHarness) -> None:
    body = await bot.ask("!tz san", sender=ALICE)
    assert "could be several time zones: which one?" in body, body
    assert "America/Santiago" in body and "more" in body
    assert "not a time zone I know" in await bot.ask("!tz Atlantis", sender=ALICE)
    assert await bot.ask("!tz", sender=ALICE) == "You have not set a time zone. Example: " + (
        "!tz Asia/Kolkata."
    )


async def test_meeting_time_zone_by_city_name(bot: ChatHarness) -> None:
    body = await bot.ask(
        '!meeting add title="Llamada" when="2027-04-06 18:00" tz="ciudad de mexico"', sender=ADMIN
    )
    assert body.startswith("Planned #2"), body
    assert "America/Mexico_City" in await bot.ask("!meeting 2")


@pytest.mark.parametrize(
    "typed",
    [
        "Tecnología Educativa No Alineada",
        "technologies educatives non alignees",
        "Tecnologia Educacional Nao Alinhada",
    ],
)
async def test_group_names_in_spanish_french_and_portuguese(bot: ChatHarness, typed: str) -> None:
    assert (await bot.ask(f"!group {typed}")).startswith("Non-Aligned Ed Tech (ed-tech)")
