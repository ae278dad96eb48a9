"""The public page and the calendar feeds, served in-process on 127.0.0.1: what they show, in
which language, with which headers, and that nothing private is ever in them."""

from __future__ import annotations

import asyncio
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

from dateutil.rrule import rrulestr
from icalendar import Calendar, vDDDLists

from natm_bot.config.content import load_content
from natm_bot.config.onboarding import OnboardingSection
from natm_bot.config.paths import bundled
from natm_bot.core.i18n import LANGUAGES
from natm_bot.testing.harness import LOBBY
from tests.public_site import ADMIN, CLOSES, PUBLIC_ROOM, START, Served, served

MATRIX_ID = re.compile(r"[@!][A-Za-z0-9._=\-/+]+:[A-Za-z0-9.\-]+")
PAGES = ("/", "/readings", "/groups", "/members", "/meetings", "/decisions", "/minutes")
OTHER = (
    "/members?q=kenya",
    "/members?q=civil-society",
    "/members?q=MX",
    "/members?q=radio&page=2",
    "/decisions?page=2",
    "/decisions?page=-1",
    "/calendar.ics",
    "/groups/ed-tech/calendar.ics",
    "/static/style.css",
    "/static/localtime.js",
)
EVERY_ROUTE = [*PAGES, *(f"/{lang}{p.rstrip('/')}" for lang in LANGUAGES for p in PAGES), *OTHER]


def _get(url: str, language: str = "") -> tuple[int, dict[str, str], str]:
    headers = {"Accept-Language": language} if language else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


async def get(site: Served, path: str, language: str = "") -> tuple[int, dict[str, str], str]:
    """Status, headers and body of a GET (the server runs in this event loop)."""
    return await asyncio.to_thread(_get, site.url + path, language)


async def test_every_route_answers_with_strict_headers_and_no_private_data(
    tmp_path: Path,
) -> None:
    async with served(tmp_path) as site:
        assert "@erin-delegate:localhost" in await site.bot.app.members.delegations()
        for path in EVERY_ROUTE:
            status, headers, body = await get(site, path)
            assert status == 200, path
            csp = headers["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert headers["Referrer-Policy"] == "no-referrer"
            assert "Set-Cookie" not in headers
            assert MATRIX_ID.findall(unescape(body)) == [], path
            # who signed up, answered, applied, supports or is a delegate; rooms; the call link
            for private in (
                "alice",
                "dora",
                "admin",
                "erin",
                "1 supporter",
                "lobby",
                "meet.example",
            ):
                assert private not in body.lower(), (path, private)
        status, headers, _ = await get(site, "/nothing-here")
        assert status == 404 and "Content-Security-Policy" in headers


async def test_the_home_page_quotes_every_principle_and_shows_the_next_meeting(
    tmp_path: Path,
) -> None:
    content = load_content(bundled("data"))
    async with served(tmp_path) as site:
        _status, _headers, body = await get(site, "/")
    text = unescape(body)
    for principle in content.principles:
        assert principle.text["en"] in text
    assert text.count("<h1>") == 1 and '<html lang="en">' in text
    assert '<meta name="viewport"' in text
    assert "Weekly call" in text and "17:00 UTC" in text
    assert 'href="https://matrix.to/#/#natm:example.org"' in text and "!help" in text


async def test_how_to_join_mentions_the_welcome_only_where_newcomers_get_one(
    tmp_path: Path,
) -> None:
    async with served(tmp_path / "off") as site:
        _status, _headers, body = await get(site, "/")
    assert "direct message" not in unescape(body)
    welcoming = OnboardingSection(rooms=["!lobby:example.org"])
    async with served(tmp_path / "on", onboarding=welcoming) as site:
        _status, _headers, body = await get(site, "/")
    assert "the bot sends you a direct message in your language" in unescape(body)


async def test_the_language_comes_from_the_browser_or_the_address(tmp_path: Path) -> None:
    async with served(tmp_path) as site:
        _s, headers, spanish = await get(site, "/meetings", "es-MX,es;q=0.9,en;q=0.5")
        _s, _h, portuguese = await get(site, "/meetings?lang=pt", "es")
        _s, _h, french = await get(site, "/fr/groups")
        _s, _h, fallback = await get(site, "/", "de-DE,de;q=0.9")
    assert '<html lang="es">' in spanish and headers["Content-Language"] == "es"
    assert "martes, 5 de enero de 2027" in spanish
    assert '<html lang="pt">' in portuguese and "terça-feira" in portuguese
    assert '<html lang="fr">' in french and 'href="/fr/members"' in french
    assert '<html lang="en">' in fallback


async def test_the_member_search_is_the_chat_search(tmp_path: Path) -> None:
    async with served(tmp_path) as site:
        _s, _h, by_country = await get(site, "/members?q=Kenya")
        _s, _h, by_words = await get(site, "/members?q=community+radio")
        _s, _h, none = await get(site, "/members?q=nothing+like+this")
        chat = await site.bot.ask("!members kenya")
    assert "Tech Commons Kenya" in by_country and "Red de Radios" not in by_country
    assert "Tech Commons Kenya" in chat
    assert "Red de Radios Comunitarias" in by_words and "Tech Commons" not in by_words
    assert "No listed organisation matches." in none


async def test_groups_show_counts_never_names(tmp_path: Path) -> None:
    async with served(tmp_path) as site:
        _s, _h, body = await get(site, "/groups")
    assert "Non-Aligned Ed Tech" in body and "Members: 1" in body
    assert 'href="/groups/ed-tech/calendar.ics"' in body


def _feed_occurrences(ics: str, title: str, until: datetime) -> list[datetime]:
    """The event's dates from the feed: its RRULE expanded from DTSTART in its own zone
    (dateutil keeps the wall-clock time across DST), EXDATEs taken out."""
    event = next(e for e in Calendar.from_ical(ics).walk("VEVENT") if e["SUMMARY"] == title)
    start = event.decoded("DTSTART")
    text = event["RRULE"].to_ical()
    rule = rrulestr(text.decode() if isinstance(text, bytes) else text, dtstart=start)
    exdates = event.get("EXDATE")
    skipped = {d.dt for d in exdates.dts} if isinstance(exdates, vDDDLists) else set()
    return [d.astimezone(UTC) for d in rule.between(start, until, inc=True) if d not in skipped]


async def test_the_feed_holds_what_the_bot_announces_for_a_year_across_dst(
    tmp_path: Path,
) -> None:
    until = START + timedelta(days=365)
    async with served(tmp_path) as site:
        _s, headers, ics = await get(site, "/calendar.ics")
        seen = await site.bot.advance(days=365)
    assert headers["Content-Type"].startswith("text/calendar")
    # in the meeting's room (Alice's reminders by direct message come an hour before)
    announced = [s.at for s in seen if "Weekly call" in s.body and s.room_id == LOBBY]
    expected = _feed_occurrences(ics, "Weekly call", until)
    assert announced == expected
    assert len(expected) == 51  # 52 Tuesdays from 5 Jan 2027, one of them cancelled
    hours = {moment.hour for moment in expected}
    assert hours == {16, 17}  # 18:00 in Berlin: 17:00 UTC in winter, 16:00 UTC in summer
    assert datetime(2027, 1, 19, 17, tzinfo=UTC) not in expected


async def test_feeds_keep_their_ids_and_drop_cancelled_meetings(tmp_path: Path) -> None:
    async with served(tmp_path) as site:
        _s, _h, before = await get(site, "/calendar.ics")
        await site.bot.send('!meeting edit 1 title="Weekly call (new hour)"', sender=ADMIN)
        await site.bot.send("!meeting cancel 2", sender=ADMIN)
        _s, _h, after = await get(site, "/calendar.ics")
        _s, _h, group = await get(site, "/groups/ed-tech/calendar.ics")
        status, _h, _b = await get(site, "/groups/no-such-group/calendar.ics")
    uids = [str(e["UID"]) for e in Calendar.from_ical(before).walk("VEVENT")]
    assert uids == ["meeting-1@natm-bot", "meeting-2@natm-bot"]
    events = Calendar.from_ical(after).walk("VEVENT")
    assert [(str(e["UID"]), str(e["SUMMARY"])) for e in events] == [
        ("meeting-1@natm-bot", "Weekly call (new hour)")
    ]
    assert [str(e["UID"]) for e in Calendar.from_ical(group).walk("VEVENT")] == uids[:1]
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in after
    assert status == 404


async def test_chat_gives_the_feed_addresses_when_the_page_is_on(tmp_path: Path) -> None:
    async with served(tmp_path) as site:
        ics = await site.bot.send("!meetings ics")
        group = await site.bot.ask("!group ed-tech")
    assert "https://natm.example.org/calendar.ics" in ics[0].body
    assert "https://natm.example.org/groups/ed-tech/calendar.ics" in group


async def test_decisions_show_public_outcomes_as_counts_never_voters(tmp_path: Path) -> None:
    async with served(tmp_path) as site:
        _status, _headers, body = await get(site, "/decisions")
        _status, _headers, spanish = await get(site, "/es/decisions")
        _status, _headers, home = await get(site, "/")
    text = unescape(body)
    assert "Next campaign?" in text and "Adopt the 2027 statement?" in text
    assert text.index("Next campaign?") < text.index("Adopt the 2027 statement?")  # newest first
    assert "not passed: blocked." in text and "Blocks: 1" in text
    assert "Block: 1" in text and "Agree: 1" in text and "Digital ID: 2" in text
    assert "2 of 3 voted" in text
    assert "Pay the lobby server?" not in text  # its room is not one of the public rooms
    assert MATRIX_ID.findall(text) == []
    for private in ("alice", "dora", "admin", "carol", "ask ", "lobby", "public:localhost"):
        assert private not in text.lower(), private
    assert 'href="/decisions"' in home
    spanish_text = unescape(spanish)
    assert "Decisiones" in spanish_text and "Bloqueo: 1" in spanish_text
    assert "Next campaign?" in spanish_text


async def test_decisions_are_paged_and_an_unresolved_public_room_shows_nothing(
    tmp_path: Path,
) -> None:
    async with served(tmp_path) as site:
        bot = site.bot
        for n in range(21):
            text = f'!poll add kind=choice question="Round {n}?" options="A; B" {CLOSES}'
            await bot.send(text, sender=ADMIN, room=PUBLIC_ROOM)
        for number in range(4, 25):
            await bot.send(f"!poll close {number}", sender=ADMIN)
        await bot.advance(minutes=1)
        first = unescape((await get(site, "/decisions"))[2])
        second = unescape((await get(site, "/decisions?page=2"))[2])
        assert "Page 1 of 2" in first and "Round 20?" in first and "Round 0?" not in first
        assert "Page 2 of 2" in second and "Round 0?" in second and "Next campaign?" in second
        past = unescape((await get(site, "/decisions?page=99"))[2])
        assert "Page 2 of 2" in past and "Round 0?" in past and "Round 20?" not in past
        bot.transport.aliases.clear()
        gone = unescape((await get(site, "/decisions"))[2])
        assert "No decisions yet." in gone and "Round" not in gone
