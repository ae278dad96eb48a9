"""Every command's error paths in Spanish (a person's choice), French (a room's) and Portuguese
(the default): its help, a bare call, wrong and non-existent arguments, the repeat rules a
meeting cannot keep. No English is left: neither a text of the catalogue nor one the code
writes without marking it (found by typing the same in English and comparing)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from html import unescape
from pathlib import Path

import pytest
import yaml

from natm_bot.config.paths import bundled
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId, UserId
from natm_bot.engine.registry import Perm
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.commands.test_languages import READERS, START, Reader, english_left
from tests.conftest import ADMIN, ALICE
from tests.texts import strings_in

WHEN = 'when="2027-03-03 18:00" tz=Europe/Berlin'  # a Wednesday
REPEAT_ERRORS = [
    f"!meeting add title=X {WHEN} repeat=sometimes",
    f'!meeting add title=X {WHEN} repeat="first tuesday"',
    '!meeting add title=X when="2027-03-02 18:00" tz=UTC repeat="FREQ=WEEKLY;BYDAY=MO,TH"',
    f"!meeting add title=X {WHEN} repeat=FREQ=HOURLY",
    f"!meeting add title=X {WHEN} repeat=FREQ=WEEKLY;BYMONTH=3",
    f"!meeting add title=X {WHEN} repeat=FREQ=MONTHLY;BYDAY=1WE;COUNT=0",
    f"!meeting add title=X {WHEN} repeat=FREQ=WEEKLY;INTERVAL=99",
    f"!meeting add title=X {WHEN} repeat=FREQ=YEARLY;INTERVAL=2",
    f"!meeting add title=X {WHEN} repeat=FREQ=WEEKLY;COUNT=2;UNTIL=20280101",
    f"!meeting add title=X {WHEN} repeat=FREQ=WEEKLY;UNTIL=20270101",
    f"!meeting add title=X {WHEN} repeat=FREQ=WEEKLY;UNTIL=20500101",
    f"!meeting add title=X {WHEN} repeat=FREQ=WEEKLY;UNTIL=tomorrow",
    f"!meeting add title=X {WHEN} repeat=FREQ=WEEKLY;BYDAY=1MO",
    f"!meeting add title=X {WHEN} repeat=FREQ=DAILY;INTERVAL=2;BYDAY=MO",
    f"!meeting add title=X {WHEN} repeat=FREQ=WEEKLY;FREQ=DAILY",
    f"!meeting add title=X {WHEN} repeat=FREQ=WEEKLY;BYDAY",
    f"!meeting add title=X {WHEN} repeat=FREQ=WEEKLY;BYDAY=XX",
    f"!meeting add title=X {WHEN} repeat=FREQ=SOMETIMES",
    f'!meeting add title=X {WHEN} repeat="every 60 weeks"',
    f"!meeting add title=X {WHEN} repeat=FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    f"!meeting add title=X {WHEN} repeat=DTSTART=20270101;FREQ=DAILY",
    '!meeting add title=X when="2027-03-03 18:00"',
    f'!meeting add title="\x07" {WHEN}',
    "!meeting edit 1",
    "!meeting edit 1 repeat=sometimes",
    "!meeting edit 1 title=",
]
ARGUMENTS = ("", "99999", 'nonsense "x" y=z')
RUN = 3  # this many English words in a row are English left over
# Code, tags and a command with up to two arguments read the same in every language.
_CODE = re.compile(r"<code>.*?</code>|<[^>]+>|!\S+(?: [^\s!.,;:()<]+){0,2}", re.DOTALL)
_SEGMENT = re.compile(r"[^\w\s'’-]+|\s-\s")  # runs never cross punctuation
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@cache
def _content() -> str:
    """The movement's own texts (names, titles, authors), which stay as they are written."""
    texts: list[str] = []
    for path in sorted(bundled("data").glob("*.yaml")):
        texts += strings_in(yaml.safe_load(path.read_text(encoding="utf-8")))
    return " ".join(" ".join(_WORD.findall(text)) for text in texts).lower()


def _typed(bot: ChatHarness) -> Iterator[tuple[str, str]]:
    """(sender, text): each command's help and its error paths, by whoever may run it."""
    for spec in bot.app.registry.commands:
        sender = ALICE if spec.perm is Perm.USER else ADMIN
        yield sender, f"!help {spec.name}"
        for arguments in ARGUMENTS:
            yield sender, f"!{spec.name} {arguments}".rstrip()
    yield ALICE, "!meeting add title=X"  # a refusal
    for text in REPEAT_ERRORS:
        yield ADMIN, text


async def _run(bot: ChatHarness, reader: Reader, speak: bool) -> list[tuple[str, str, str]]:
    """(typed, reply, its HTML) in the order the bot answered, for the rooms the reader
    reads; in the reader's language when `speak`, else in English."""
    bot.transport.set_power_level(RoomId(LOBBY), UserId(ADMIN), 100)
    if speak and reader.how == "person":
        for who in (ALICE, ADMIN):
            await bot.app.languages.choose(who, reader.lang)
    if speak and reader.how == "room":
        await bot.app.languages.set_room(LOBBY, reader.lang)
    read = {LOBBY}
    if reader.how != "room":
        read |= {await bot.transport.direct_room(UserId(who)) for who in (ALICE, ADMIN)}
    await bot.send(f"!meeting add title=Call {WHEN} repeat=weekly", sender=ADMIN)
    await bot.send("!rsvp 1 maybe", sender=ALICE)
    said = []
    for sender, text in _typed(bot):
        replies = await bot.send(text, sender=sender)
        said += [(text, s.body, s.html) for s in replies if s.room_id in read]
    return said


def _segments(html: str) -> list[list[str]]:
    """The words of a reply outside code, one list per stretch without punctuation."""
    text = unescape(_CODE.sub(" | ", html))
    return [_WORD.findall(part) for part in _SEGMENT.split(text)]


def english_runs(english: str, translated: str, typed: str = "") -> list[str]:
    """Runs of RUN or more words of the English reply (HTML) found as they are in the
    translation, outside code, what was typed and the movement's own texts (names, titles)."""
    mine = {" ".join(words) for words in _segments(translated)}
    echoed = " ".join(_WORD.findall(typed))
    found = []
    for words in _segments(english):
        for start in range(len(words) - RUN + 1):
            run = " ".join(words[start : start + RUN])
            if run.lower() in _content() or run in echoed or run in found:
                continue
            if any(re.search(rf"(?<!\w){re.escape(run)}(?!\w)", seg) for seg in mine):
                found.append(run)
    return found


@pytest.mark.parametrize("reader", READERS, ids=[r.how for r in READERS])
async def test_every_error_path_answers_in_the_readers_language(
    tmp_path: Path, reader: Reader
) -> None:
    english_config = make_config(tmp_path / "en", admins=[ADMIN])
    async with ChatHarness(english_config, ManualClock(START)) as bot:
        english = await _run(bot, reader, speak=False)
    config = make_config(tmp_path / reader.lang, admins=[ADMIN], language=reader.default)
    async with ChatHarness(config, ManualClock(START)) as bot:
        translated = await _run(bot, reader, speak=True)
    assert [said[0] for said in translated] == [said[0] for said in english]
    assert len(translated) > 4 * len(REPEAT_ERRORS)
    left = [
        (typed, english_left(body, reader.lang), english_runs(said, html, typed), body)
        for (typed, body, html), (_, _, said) in zip(translated, english, strict=True)
    ]
    assert [entry for entry in left if entry[1] or entry[2]] == []


def test_the_comparison_finds_english_the_code_wrote() -> None:
    english = "2027-03-03 is not a first Tuesday; the first one after it is 2027-04-06."
    spanish = "2027-03-03 is not a first Tuesday; la primera después es 2027-04-06."
    assert english_runs(english, spanish) == ["is not a", "not a first", "a first Tuesday"]
    usage = "Usage: <code>!meeting add title=… [more fields…]</code>"
    assert english_runs(usage, usage) == []
    welcome = "Welcome to Non-Aligned Ed Tech!"
    found = english_runs(welcome, welcome)
    assert "Welcome to Non-Aligned" in found and "Non-Aligned Ed Tech" not in found
