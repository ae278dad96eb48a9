"""A person who chose Spanish, a room set to French, a bot whose default is Portuguese: each
gets help, principles, groups, joining, meetings, a usage error, their data and an
announcement in that language, with no English text of the catalogue left over."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from natm_bot.core.catalogues import TEMPLATE, read_catalogue
from natm_bot.core.clock import ManualClock
from natm_bot.core.i18n import translations
from natm_bot.core.messages import RoomId, UserId
from natm_bot.engine.rendering import render
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.conftest import ADMIN, ALICE

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
MEETING = 'title=Call when="2027-03-02 18:00" tz=Europe/Berlin reminders=1h'
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class Reader:
    """Who reads, in which language, and what the bot says only in that language."""

    lang: str
    default: str  # the config's bot.language
    how: str  # "person", "room" or "default"
    help_title: str
    principle: str


READERS = [
    Reader("es", "en", "person", "Lo que sé hacer", "Principio 1 de 5"),
    Reader("fr", "en", "room", "Ce que je sais faire", "Principe 1 sur 5"),
    Reader("pt", "pt", "default", "O que eu sei fazer", "Princípio 1 de 5"),
]


def _english_forms() -> Iterator[str]:
    for message in read_catalogue(TEMPLATE):
        if message.id:
            yield from message.id if isinstance(message.id, tuple | list) else (message.id,)


# A text that starts with a placeholder needs this many letters of its own to be
# looked for as a whole line (`{first} and {second}` would match any line with " and ").
MIN_LITERAL = 10
_NEVER = re.compile(r"(?!)")


@cache
@cache
def _leftover_checks(lang: str) -> tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...]:
    """For each English text whose translation differs: a pattern for a whole line of it,
    and its long literal pieces that the translation does not share."""
    checks = []
    translated = translations(lang)
    for english in _english_forms():
        own = translated.gettext(english)
        if own == english:
            continue
        plain = render(english).body
        pieces = [p.strip() for p in _PLACEHOLDER.split(plain)]
        mine = render(own).body
        long = tuple(p for p in pieces if len(p) >= 16 and p not in mine)
        first_line = _PLACEHOLDER.split(plain.split("\n")[0])
        open_ended = len(first_line) > 1 and not first_line[0]
        if open_ended and len("".join(first_line).strip()) < MIN_LITERAL:
            # A joiner such as "{first} and {second}" would match any English title or
            # description a person wrote, and "{members} member" any line ending in "member";
            # such texts are checked by the replies they build.
            checks.append((english, _NEVER, long))
            continue
        pattern = ".+".join(re.escape(p) for p in first_line)
        checks.append((english, re.compile(pattern), long))
    return tuple(checks)


def english_left(body: str, lang: str) -> list[str]:
    """The English catalogue texts found in a reply (whole lines, or long pieces)."""
    lines = body.split("\n")
    found = []
    for english, whole_line, pieces in _leftover_checks(lang):
        if any(whole_line.fullmatch(line) for line in lines) or any(p in body for p in pieces):
            found.append(english)
    return found


@pytest.fixture(params=READERS, ids=[r.how for r in READERS])
def reader(request: pytest.FixtureRequest) -> Reader:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def bot(tmp_path: Path, reader: Reader) -> AsyncIterator[ChatHarness]:
    config = make_config(tmp_path, admins=[ADMIN], language=reader.default)
    async with ChatHarness(config, ManualClock(START)) as harness:
        yield harness


async def _set_up(bot: ChatHarness, reader: Reader) -> None:
    """Alice chooses Spanish, or a moderator sets the room to French; Portuguese is the default."""
    if reader.how == "person":
        await bot.ask(f"!lang {reader.lang}", sender=ALICE)
    if reader.how == "room":
        bot.transport.set_power_level(RoomId(LOBBY), UserId(ADMIN), 100)
        await bot.ask(f"!lang room {reader.lang}", sender=ADMIN)


async def test_everything_alice_reads_is_in_her_language(bot: ChatHarness, reader: Reader) -> None:
    await _set_up(bot, reader)
    await bot.send(f"!meeting add {MEETING}", sender=ADMIN)
    await bot.send("!rsvp 1 yes remind", sender=ALICE)
    replies = {}
    for command in ("!help", "!principles 1", "!groups", "!join ed-tech", "!meetings"):
        replies[command] = await bot.ask(command, sender=ALICE)
    replies["usage error"] = await bot.ask("!principles 9", sender=ALICE)
    [mydata, told] = await bot.send("!mydata", sender=ALICE)
    replies["!mydata"], replies["answered privately"] = mydata.body, told.body
    seen = await bot.advance(days=2)
    dm = await bot.transport.direct_room(UserId(ALICE))
    where = dm if reader.how == "person" else LOBBY
    [replies["announcement"]] = [s.body for s in seen if s.room_id == where]
    for what, body in replies.items():
        assert english_left(body, reader.lang) == [], (what, body)
    assert replies["!help"].startswith(reader.help_title)
    assert replies["!principles 1"].startswith(reader.principle)
    assert replies["announcement"].startswith("⏰ Call")
    # !mydata: the answer in her words, the dates as her language writes them, never ISO.
    words = {"es": ("sí", "marzo"), "fr": ("oui", "mars"), "pt": ("sim", "março")}
    yes, march = words[reader.lang]
    assert march in replies["!mydata"] and f": {yes}" in replies["!mydata"]
    assert re.search(r"\d{4}-\d\d-\d\d", replies["!mydata"]) is None, replies["!mydata"]


ENGLISH_USAGE_ERROR = (
    "There are 5 principles: give a number from 1 to 5, not “9”.\n\n"
    "Usage: !principles [n] · more: !help principles"
)


@pytest.mark.parametrize("lang", ["es", "fr", "pt"])
def test_the_check_finds_english_left_over(lang: str) -> None:
    assert sorted(english_left(ENGLISH_USAGE_ERROR, lang)) == [
        "There are {count} principles: give a number from 1 to {count}, not “{typed}”.",
        "Usage: `{usage}`",
        "Usage: `{usage}` · more: `{help}`",
    ]
    assert english_left("Lo que sé hacer\n\n• !about: Qué es NATM y cómo participar", "es") == []
    assert english_left("Usage: `!join <group>`", lang) == ["Usage: `{usage}`"]
