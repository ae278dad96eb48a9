"""The members directory, applications, supporters, readings, !about, !glossary and the audit
log answer entirely in Spanish, French and Portuguese: for a person who chose the language, in
a room set to it, and on a bot whose default it is. No English text of the catalogue is left
over, and the content (categories, countries, the glossary, !about) is in that language too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId, UserId
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.commands.test_languages import START, english_left
from tests.commands.test_members import GOOD_APPLICATION, ORGS, SEED, _data_dir, _import
from tests.conftest import ADMIN, ALICE


@dataclass(frozen=True)
class Reader:
    """Who reads, in which language, and what only that language says."""

    lang: str
    default: str  # the config's bot.language
    how: str  # "person", "room" or "default"
    learning: str  # the category `learning` by name
    kenya: str
    summary: str  # the start of !about's summary
    fediverse: str  # the Fediverse in the glossary, and its definition's start
    one_supporter: str
    june: str  # a reading's month, as the language writes it


READERS = [
    Reader(
        "es",
        "en",
        "person",
        "Instituciones educativas",
        "Kenia",
        "El Movimiento de Tecnologías No Alineadas",
        "el Fediverso: Una red de muchos servidores independientes",
        "1 persona que lo apoya",
        "junio de 2020",
    ),
    Reader(
        "fr",
        "en",
        "room",
        "Établissements d'enseignement",
        "Kenya",
        "Le Mouvement des technologies non alignées",
        "le Fédivers: Un réseau de nombreux serveurs indépendants",
        "1 soutien",
        "juin 2020",
    ),
    Reader(
        "pt",
        "pt",
        "default",
        "Instituições de ensino",
        "Quênia",
        "O Movimento das Tecnologias Não Alinhadas",
        "o Fediverso: Uma rede de muitos servidores independentes",
        "1 apoiador",
        "junho de 2020",
    ),
]


@pytest.fixture(params=READERS, ids=[r.how for r in READERS])
def reader(request: pytest.FixtureRequest) -> Reader:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def bot(tmp_path: Path, reader: Reader) -> AsyncIterator[ChatHarness]:
    config = make_config(tmp_path, admins=[ADMIN], language=reader.default)
    async with ChatHarness(config, ManualClock(START)) as harness:
        if reader.how == "person":
            for person in (ALICE, ADMIN):
                await harness.ask(f"!lang {reader.lang}", sender=person)
        if reader.how == "room":
            harness.transport.set_power_level(RoomId(LOBBY), UserId(ADMIN), 100)
            await harness.ask(f"!lang room {reader.lang}", sender=ADMIN)
        yield harness


async def _answers(bot: ChatHarness, commands: list[str], sender: str = ALICE) -> dict[str, str]:
    """Each command's replies, joined, by command."""
    answers = {}
    for command in commands:
        answers[command] = "\n\n".join(s.body for s in await bot.send(command, sender=sender))
    return answers


def _all_in(reader: Reader, answers: dict[str, str]) -> None:
    for command, body in answers.items():
        assert body, command
        assert english_left(body, reader.lang) == [], (command, body)


async def test_the_directory_and_supporters_speak_the_readers_language(
    bot: ChatHarness, reader: Reader
) -> None:
    await _import(bot, ORGS)
    answers = await _answers(
        bot,
        [
            "!members",
            "!members learning",
            "!members KE",
            "!members basket weaving",
            "!members Peru",
            "!members learning page 9",
            "!member 4",
            "!member community",
            "!member Atlantis Institute",
            "!members apply",
            "!support",
            "!support",
            "!supporters",
            "!support withdraw",
            "!support withdraw",
        ],
    )
    _all_in(reader, answers)
    assert f"{reader.learning}: 2 (!members learning)" in answers["!members"]
    assert answers["!members learning"].startswith(f"{reader.learning}: 2 ")
    paged = await bot.ask("!members learning página 1", sender=ALICE)
    assert paged == answers["!members learning"]
    assert answers["!members KE"].startswith(f"{reader.kenya}: 2 ")
    assert f"{reader.kenya} (KE)" in answers["!member 4"]
    assert reader.learning in answers["!member 4"]
    assert reader.one_supporter in answers["!supporters"]


async def test_field_errors_and_unsafe_text_speak_the_readers_language(
    bot: ChatHarness, reader: Reader
) -> None:
    answers = await _answers(
        bot,
        [
            "!members apply name=X category=boats country=Atlantis website=ftp://x.org "
            'languages=xx contact=nobody description="' + "long " * 200 + '"',
            "!members apply colour=red Libre name=",
            '!members apply name="Radio \u202eLibre" category=learning country=KE '
            'website="https://a b.org" description="Radio."',
        ],
    )
    _all_in(reader, answers)


async def test_applications_and_decisions_speak_each_persons_language(
    bot: ChatHarness, reader: Reader
) -> None:
    other = GOOD_APPLICATION.replace("Radio Comunitaria del Valle", "Radio del Monte")
    applied = await bot.send(GOOD_APPLICATION, sender=ALICE)
    await bot.send(other, sender=ALICE)
    admin_dm = await bot.transport.direct_room(UserId(ADMIN))
    alice_dm = await bot.transport.direct_room(UserId(ALICE))
    answers, direct = {"thanks": applied[0].body}, {}
    [direct["note to the admin"]] = [s.body for s in applied if s.room_id == admin_dm]
    for command in ("!members pending", "!members approve 1", "!members reject 2", "!audit"):
        seen = await bot.send(command, sender=ADMIN)
        answers[command] = "\n\n".join(s.body for s in seen if s.room_id != alice_dm)
        direct |= {f"{command} to Alice": s.body for s in seen if s.room_id == alice_dm}
    _all_in(reader, answers)
    assert len(direct) == 3
    if reader.how == "room":  # direct messages follow the person's language, not a room's
        assert direct["note to the admin"].startswith("New member application #1")
        assert direct["!members approve 1 to Alice"].startswith("Good news")
    else:
        _all_in(reader, direct)


async def test_readings_about_and_the_glossary_speak_the_readers_language(
    bot: ChatHarness, reader: Reader
) -> None:
    answers = await _answers(
        bot,
        [
            "!about",
            "!readings",
            "!readings intro",
            "!readings colonial",
            "!readings basket weaving",
            "!glossary",
            "!glossary fediverso",
            "!glossary fediversx",
            "!glossary atlantis",
        ],
    )
    _all_in(reader, answers)
    assert reader.summary in answers["!about"]
    assert f"openDemocracy, {reader.june}." in answers["!readings intro"]
    assert answers["!glossary fediverso"].startswith(reader.fediverse)
    assert reader.fediverse.split(":")[0] in answers["!glossary"]


BAD_ENTRY = """  - name: "Second"
    category: sports
    country: ZZ
    website: nowhere
    description: "Bad."
    colour: blue
"""


@pytest.mark.parametrize("lang", ["es", "fr", "pt"])
async def test_importing_members_yaml_speaks_the_admins_language(
    tmp_path: Path, lang: str
) -> None:
    config = make_config(tmp_path, admins=[ADMIN])
    data = _data_dir(tmp_path, "members: []\n")
    paths = config.paths.model_copy(update={"data_dir": data})
    async with ChatHarness(config.model_copy(update={"paths": paths})) as bot:
        await bot.ask(f"!lang {lang}", sender=ADMIN)
        (data / "members.yaml").write_text(SEED + BAD_ENTRY, encoding="utf-8")
        refused = await bot.ask("!members import", sender=ADMIN)
        (data / "members.yaml").write_text(SEED, encoding="utf-8")
        imported = await bot.ask("!members import", sender=ADMIN)
    for body in (refused, imported):
        assert english_left(body, lang) == [], body
    assert "unknown field" not in refused and "entry 2" not in refused
    assert imported.startswith("members.yaml") and "1 " in imported
