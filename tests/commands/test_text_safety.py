"""Text from chat: no control or bidi-override character is stored or echoed, a meeting link
is one plain web address shown as itself, and a group's export is safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from natm_bot.storage.groups import Group, GroupStore
from natm_bot.storage.meetings import Meeting
from natm_bot.testing.harness import ChatHarness
from tests.conftest import ADMIN, ALICE

RLO = "\u202e"  # right-to-left override: "RTL \u202egnp.exe" shows as "RTL exe.png"
LRI = "\u2066"  # left-to-right isolate
NUL = "\x00"
ESC = "\x1b"  # starts terminal escape sequences
CSI = "\x9b"  # a C1 control
FORBIDDEN = (RLO, LRI, NUL, ESC, CSI, "\u202a", "\u2069", "\x7f")
CALL = 'when="2030-01-01 10:00" tz=UTC'
APPLY = (
    '!members apply name="{name}" category=civil-society country=KE '
    'website=https://radio.example.org description="{description}"'
)
TABLES = ("groups", "group_aliases", "meetings", "organisations", "member_applications")


async def _snapshot(bot: ChatHarness) -> list[object]:
    rows: list[object] = []
    for table in TABLES:
        rows.append([tuple(r) for r in await bot.app.db.fetchall(f"SELECT * FROM {table}")])
    return rows


def _clean(text: str) -> bool:
    return not any(char in text for char in FORBIDDEN)


@pytest.mark.parametrize(
    ("command", "named"),
    [
        (f'!group create "RTL {RLO}gnp.exe" Looks harmless', "U+202E"),
        (f'!group create "Night owls" Meets at night{NUL}', "U+0000"),
        (f"!group edit algo name RTL {RLO}gnp.exe", "U+202E"),
        (f"!group edit algo description Reads {LRI}txt.exe", "U+2066"),
        (f"!group edit algo aliases algo,al{ESC}[31mgo", "U+001B"),
        (f'!meeting add title="Call {RLO}gnp.exe" {CALL}', "U+202E"),
        (f'!meeting add title=Call {CALL} description="a{CSI}b"', "U+009B"),
        (APPLY.format(name=f"Radio {RLO}gnp.exe", description="A radio."), "U+202E"),
        (APPLY.format(name="Radio Valle", description=f"A radio.{NUL}"), "U+0000"),
    ],
)
async def test_control_and_bidi_characters_are_refused_and_nothing_is_stored(
    bot: ChatHarness, command: str, named: str
) -> None:
    before = await _snapshot(bot)
    [reply] = await bot.send(command, sender=ADMIN)
    assert named in reply.body, reply.body
    assert "please remove it" in reply.body
    assert "something went wrong" not in reply.body
    assert _clean(reply.body) and _clean(reply.html)
    assert await _snapshot(bot) == before


async def test_members_edit_refuses_a_bidi_override(bot: ChatHarness) -> None:
    await bot.send(APPLY.format(name="Radio Valle", description="A radio."), sender=ALICE)
    await bot.send("!members approve 1", sender=ADMIN)
    before = await _snapshot(bot)
    reply = await bot.ask(f'!members edit 1 name="Radio {RLO}gnp.exe"', sender=ADMIN)
    assert "U+202E" in reply and _clean(reply)
    assert await _snapshot(bot) == before


async def test_text_stored_before_the_rule_is_never_echoed_raw(bot: ChatHarness) -> None:
    """A database from an older version may hold such text: replies and calendars show a
    replacement character instead."""
    name = f"RTL {RLO}gnp.exe{NUL}"
    await GroupStore(bot.app.db, bot.clock).save(
        Group(id="rtl", name=name, description={"en": name})
    )
    meeting = Meeting(
        id=0,
        title=name,
        description=f"Bring {ESC}[2J snacks",
        start_local=datetime(2030, 1, 1, 10),
        timezone="UTC",
        duration_minutes=60,
        link=f"https://meet.example.org/{RLO}x",
        rooms=("!lobby:localhost",),
    )
    await bot.app.meetings.store.add(meeting)
    for command in ("!groups", "!group rtl", "!meetings", "!meeting 1", "!mydata"):
        for reply in await bot.send(command, sender=ADMIN):
            assert _clean(reply.body) and _clean(reply.html), command
    assert "RTL \ufffdgnp.exe" in await bot.ask("!group rtl")
    assert "Updated the name" in await bot.ask("!group edit rtl name Right To Left", sender=ADMIN)
    assert "closed" in await bot.ask("!group close rtl", sender=ADMIN)
    [calendar] = [r for r in await bot.send("!meetings ics") if r.attachment]
    assert calendar.attachment is not None
    assert _clean(calendar.attachment.data.decode())


BAD_LINKS = [
    "https://a.example/x [Official login](https://evil.example/p) @room",
    "[Official login](https://evil.example/p)",
    "https://a.example/x[Official](https://evil.example/p)",
    "https://official.example.org@evil.example/login",
    "https://a.example/<img src=x>",
    "https://a.example/\u200fx",
    "https://",
    "https://-bad-.example/",
    "https://a.example:99999/",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("link", BAD_LINKS)
async def test_a_link_must_be_one_plain_web_address(bot: ChatHarness, link: str) -> None:
    before = await _snapshot(bot)
    [reply] = await bot.send(f'!meeting add title=Call {CALL} link="{link}"', sender=ADMIN)
    assert "link" in reply.body.lower(), reply.body
    assert "something went wrong" not in reply.body
    assert 'href="https://evil' not in reply.html
    assert await _snapshot(bot) == before


REAL = "https://meet.example.org/__init__/*call*_room_?id=a_b*c&x=(1)"


async def test_a_real_link_is_shown_as_itself_everywhere(bot: ChatHarness) -> None:
    await bot.send(f'!meeting add title=Call {CALL} link="{REAL}"', sender=ADMIN)
    anchor = f'<a href="{REAL.replace("&", "&amp;")}">{REAL.replace("&", "&amp;")}</a>'
    [details] = await bot.send("!meeting 1")
    assert anchor in details.html, details.html
    assert f"Join: {REAL}" in details.body
    announcements = await bot.advance(days=3700)
    assert len(announcements) == 3  # a day before, an hour before, starting now
    for announcement in announcements:
        assert anchor in announcement.html, announcement.html
        assert f"Join: {REAL}" in announcement.body
        assert announcement.html.count("<a ") == 1


async def test_an_edit_checks_the_link_too(bot: ChatHarness) -> None:
    await bot.send(f"!meeting add title=Call {CALL} link=https://meet.example.org/a", sender=ADMIN)
    reply = await bot.ask(f'!meeting edit 1 link="{BAD_LINKS[0]}"', sender=ADMIN)
    assert "link" in reply.lower()
    stored = await bot.app.meetings.get(1)
    assert stored.link == "https://meet.example.org/a"


async def test_group_export_neutralises_formulas(bot: ChatHarness) -> None:
    await bot.send("!join algo", sender=ALICE)
    replies = await bot.send("!group export algo", sender=ADMIN)
    [with_file] = [r for r in replies if r.attachment]
    assert with_file.attachment is not None
    rows = list(csv.reader(io.StringIO(with_file.attachment.data.decode())))
    assert rows[1][:3] == ["algorithm-observatory", "'" + ALICE, "member"]
