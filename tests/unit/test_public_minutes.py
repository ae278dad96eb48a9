"""The minutes on the public page: only those of meetings announced in public rooms alone,
with display names and never a Matrix id, every typed text escaped; the feed links each held
date to its minutes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from icalendar import Calendar

from natm_bot.core.jobs import AnnouncementSource
from natm_bot.core.messages import RoomId, UserId
from natm_bot.testing.harness import LOBBY, ChatHarness
from tests.public_site import ADMIN, ALICE, PUBLIC_ROOM, served
from tests.unit.test_public_site import get

BOB = "@bob:localhost"
AT = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
OCCURRENCE = int(AT.timestamp())
LOCAL_PART_AND_SERVER = re.compile(r"@[A-Za-z0-9._=\-/+]+:")
PUBLIC = '!meeting add title="Open call" when="2027-01-04 12:00" tz=UTC reminders=0'
LINES = [
    ("#topic Budget <script>alert(1)</script>", ALICE),
    ("#info **Markdown** and <b>tags</b> as typed, ask @carol:localhost", BOB),
    ("#agreed We spend 200 on posters", BOB),
    ("#action @bob:localhost due 2027-01-20 print the posters", ALICE),
    ("#action @carol:localhost book the hall", BOB),
]


async def _held(bot: ChatHarness, meeting: int, room: str, prefix: str) -> None:
    """Four lines and more said in the occurrence's thread, then `!endmeeting`."""
    source = AnnouncementSource.meeting(meeting)
    root = await bot.app.meetings.ledger.first_event(source, OCCURRENCE, room)
    assert root is not None
    for n, (text, sender) in enumerate(LINES):
        await bot.advance(minutes=1)
        event = f"${prefix}{n}"
        said = await bot.send(text, sender=sender, room=room, thread=root, event_id=event)
        assert said == []
    assert await bot.send(f"!endmeeting {meeting}", sender=ADMIN, room=room) == []


async def _three_meetings(bot: ChatHarness) -> None:
    """#3 weekly in the public room, #4 in the lobby, #5 in both, #6 once in the public room;
    each held at 12:00."""
    bot.transport.display_names[UserId(BOB)] = "Bob Brown"
    bot.transport.add_members(LOBBY, BOB)
    bot.transport.join(RoomId(PUBLIC_ROOM))
    both = f" rooms={PUBLIC_ROOM},{LOBBY}"
    plans = ((PUBLIC_ROOM, " repeat=weekly"), (LOBBY, ""), (PUBLIC_ROOM, both), (PUBLIC_ROOM, ""))
    for room, extra in plans:
        body = await bot.ask(PUBLIC + extra, sender=ADMIN, room=room)
        assert body.startswith("Planned #"), body
    await bot.send("!agenda 3 add Posters & <i>flyers</i>", sender=ALICE, room=PUBLIC_ROOM)
    now = bot.app.clock.now()
    await bot.advance(minutes=int((AT - now).total_seconds() // 60))
    await _held(bot, 3, PUBLIC_ROOM, "p")
    await _held(bot, 4, LOBBY, "l")
    await _held(bot, 5, PUBLIC_ROOM, "b")
    await _held(bot, 6, PUBLIC_ROOM, "o")


async def test_public_minutes_show_names_never_matrix_ids_and_escape_what_was_typed(
    tmp_path: Path,
) -> None:
    async with served(tmp_path) as site:
        await _three_meetings(site.bot)
        status, _h, listing = await get(site, "/minutes")
        _s, _h, home = await get(site, "/")
        status_one, _h, page = await get(site, "/minutes/3/2027-01-04")
        _s, _h, spanish = await get(site, "/es/minutes/3/2027-01-04")
        gone = [
            (await get(site, path))[0]
            for path in (
                "/minutes/4/2027-01-04",
                "/minutes/5/2027-01-04",
                "/minutes/3/2027-01-11",
                "/minutes/3/2027-13-45",
                "/minutes/99/2027-01-04",
                "/fr/minutes/4/2027-01-04",
            )
        ]
    assert status == 200 and status_one == 200
    assert 'href="/minutes"' in home
    assert listing.count('href="/minutes/3/2027-01-04"') == 1
    assert "/minutes/4/" not in listing and "/minutes/5/" not in listing
    assert "We spend 200 on posters — agreed, said by Bob Brown" in listing
    assert gone == [404] * 6
    for body in (listing, page, spanish):
        assert LOCAL_PART_AND_SERVER.findall(body) == []
        assert "<script>" not in body and "<b>tags" not in body and "<i>flyers" not in body
    assert "<li>Posters &amp; &lt;i&gt;flyers&lt;/i&gt;</li>" in page  # the agenda
    assert "<li>Budget &lt;script&gt;alert(1)&lt;/script&gt;</li>" in page
    assert (
        "**Markdown** and &lt;b&gt;tags&lt;/b&gt; as typed, ask carol — said by Bob Brown" in page
    )
    assert "We spend 200 on posters — agreed, said by Bob Brown" in page
    assert "print the posters — <strong>Bob Brown</strong> (due Jan 20, 2027)" in page
    assert "book the hall — <strong>carol</strong>" in page
    assert '<html lang="es">' in spanish and "Acordado" in spanish and "Actas" in spanish


async def test_the_feed_links_a_public_meetings_held_date_to_its_minutes(tmp_path: Path) -> None:
    async with served(tmp_path) as site:
        await _three_meetings(site.bot)
        _s, _h, ics = await get(site, "/calendar.ics")
        private = (await site.bot.send("!meetings ics"))[0]
    events = Calendar.from_ical(ics).walk("VEVENT")
    link = "Minutes: https://natm.example.org/minutes/3/2027-01-04"
    held = [e for e in events if "RECURRENCE-ID" in e]
    assert [str(e["UID"]) for e in held] == ["meeting-3@natm-bot"]
    assert held[0].decoded("RECURRENCE-ID") == AT and link in str(held[0]["DESCRIPTION"])
    described = {str(e["UID"]): str(e.get("DESCRIPTION", "")) for e in events}
    once = "Minutes: https://natm.example.org/minutes/6/2027-01-04"
    assert described["meeting-6@natm-bot"] == once  # a single date: the event itself
    for number in (4, 5):  # not public
        assert "/minutes/" not in described[f"meeting-{number}@natm-bot"]
    assert "/minutes/" not in private.body
