"""Minutes while a meeting runs (a ✍️ on each `#` line, nothing else), `#undo`, edits and
retractions, `!endmeeting` posting them once in the thread, across a crash, the automatic
end, and `!minutes` later."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from natm_bot.config.settings import Config
from natm_bot.core.clock import ManualClock
from natm_bot.core.jobs import AnnouncementSource
from natm_bot.core.messages import Message, RoomId, UserId
from natm_bot.testing.harness import ChatHarness, make_config
from tests.conftest import ADMIN, ALICE, BOB

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
AT = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
OCCURRENCE = int(AT.timestamp())
ROOM_A = RoomId("!a:localhost")
ROOM_B = RoomId("!b:localhost")
ELSEWHERE = RoomId("!elsewhere:localhost")
CAROL = "@carol:localhost"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, admins=[ADMIN])


async def _running(bot: ChatHarness, rooms: str = f"{ROOM_A},{ROOM_B}") -> dict[str, str]:
    """Meeting #1 at 12:00 for an hour, started; the root of its thread in each room."""
    body = await bot.ask(
        f'!meeting add title=Call when="2027-03-01 12:00" tz=UTC reminders=0 rooms={rooms}',
        sender=ADMIN,
    )
    assert body.startswith("Planned #"), body
    await bot.advance(hours=3)
    roots = {}
    for room in rooms.split(","):
        root = await bot.app.meetings.ledger.first_event(
            AnnouncementSource.meeting(1), OCCURRENCE, room
        )
        assert root is not None
        roots[room] = root
    return roots


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[ChatHarness]:
    async with ChatHarness(config, ManualClock(START)) as harness:
        yield harness


async def _four_lines(bot: ChatHarness, root: str) -> None:
    lines = [
        ("#topic Budget", ALICE, "$l1"),
        ("#agreed We spend 200 on posters", BOB, "$l2"),
        ("#action @bob:localhost due 2027-03-20 print the posters", ALICE, "$l3"),
        ("#action @carol:localhost book the hall", BOB, "$l4"),
    ]
    for text, sender, event in lines:
        await bot.advance(minutes=1)
        assert await bot.send(text, sender=sender, room=ROOM_A, thread=root, event_id=event) == []


async def test_lines_get_one_mark_each_and_endmeeting_posts_once_per_room_in_the_thread(
    bot: ChatHarness,
) -> None:
    roots = await _running(bot)
    bot.transport.display_names[UserId(BOB)] = "Bob Brown"
    sent_before = len(bot.transport.sent)
    await _four_lines(bot, roots[ROOM_A])
    assert await bot.send("#topic Budget", sender=ALICE, room=ROOM_A, event_id="$l1") == []
    assert await bot.send("#info nobody hears this", room=ELSEWHERE) == []
    assert [(r.target, r.key) for r in bot.transport.reactions] == [
        (f"$l{n}", "✍️") for n in range(1, 5)
    ]
    assert len(bot.transport.sent) == sent_before  # nothing said in any room
    assert await bot.send("!endmeeting 1", sender=ADMIN, room=ROOM_A) == []
    posted = bot.transport.sent[sent_before:]
    assert sorted((out.room_id, out.thread) for out in posted) == sorted(roots.items())
    body = posted[0].reply.markdown
    assert "Budget" in body and "print the posters" in body and "book the hall" in body
    assert "Bob Brown" in body and "@bob:localhost" not in body
    assert "Mar 20, 2027" in body
    owned = [*await bot.app.actions.mine(BOB), *await bot.app.actions.mine(CAROL)]
    assert [(a.meeting_id, a.occurrence, a.group_id) for a in owned] == [(1, OCCURRENCE, None)] * 2
    assert [(a.owner, a.text, a.due) for a in owned] == [
        (BOB, "print the posters", date(2027, 3, 20)),
        (CAROL, "book the hall", None),
    ]
    await bot.advance(minutes=1)
    again = await bot.ask("!endmeeting 1", sender=ADMIN, room=ROOM_A)
    assert again.startswith("Sorry") and "not running" in again
    assert sum("Minutes of" in out.reply.markdown for out in bot.transport.sent) == 2
    assert await bot.send("#info too late", room=ROOM_A, thread=roots[ROOM_A]) == []
    assert len(bot.transport.reactions) == 4


async def test_undo_edit_and_retraction_take_lines_back(bot: ChatHarness) -> None:
    roots = await _running(bot, ROOM_A)
    await _four_lines(bot, roots[ROOM_A])
    await bot.send("#undo", sender=BOB, room=ROOM_A)  # Bob's last: book the hall
    await bot.retract("$l1", sender=ALICE, room=ROOM_A)  # the topic
    edit = Message(
        room_id=ROOM_A, sender=BOB, body="#agreed We spend 300 on posters",  # type: ignore[arg-type]
        event_id="$l2e", timestamp=bot.clock.now(), edit_of="$l2",  # type: ignore[arg-type]
    )  # fmt: skip
    await bot.app.process(edit)
    await bot.send("!endmeeting 1", sender=ADMIN, room=ROOM_A)
    body = bot.transport.sent[-1].reply.markdown
    assert "300 on posters" in body and "200" not in body
    assert "book the hall" not in body and "Budget" not in body
    assert "print the posters" in body


async def test_a_refused_line_is_told_privately_and_nothing_in_the_room(
    bot: ChatHarness,
) -> None:
    await _running(bot, ROOM_A)
    seen = await bot.send("#action @bob:localhost due 2027-02-30 nothing", room=ROOM_A)
    assert len(seen) == 1 and seen[0].room_id != ROOM_A
    assert bot.transport.reactions == []


async def test_minutes_posted_once_after_a_crash_between_ending_and_posting(
    config: Config,
) -> None:
    async with ChatHarness(config, ManualClock(START)) as bot:
        roots = await _running(bot, ROOM_A)
        await _four_lines(bot, roots[ROOM_A])
        bot.transport.leave(ROOM_A)
        await bot.send("!endmeeting 1", sender=ADMIN, room=ROOM_A)
        assert not [out for out in bot.transport.sent if "Minutes of" in out.reply.markdown]
    async with ChatHarness(config, ManualClock(bot.clock.now())) as again:
        await again.advance(minutes=1)
        await again.advance(minutes=10)
        posted = [out for out in again.transport.sent if "Minutes of" in out.reply.markdown]
        assert [(out.room_id, out.thread) for out in posted] == [(ROOM_A, roots[ROOM_A])]
        assert "book the hall" in posted[0].reply.markdown
        assert [a.text for a in await again.app.actions.mine(CAROL)] == ["book the hall"]


async def test_a_meeting_ends_on_its_own_half_an_hour_after_its_planned_end(
    bot: ChatHarness,
) -> None:
    roots = await _running(bot, ROOM_A)
    await _four_lines(bot, roots[ROOM_A])
    seen = await bot.advance(hours=3)
    minutes = [s for s in seen if "Minutes of" in s.body]
    assert [(s.room_id, s.at) for s in minutes] == [
        (ROOM_A, datetime(2027, 3, 1, 13, 30, tzinfo=UTC))
    ]
    assert [s for s in await bot.advance(days=8) if "Minutes of" in s.body] == []


async def test_minutes_later_of_the_last_date_or_of_one_date(bot: ChatHarness) -> None:
    roots = await _running(bot, ROOM_A)
    await _four_lines(bot, roots[ROOM_A])
    await bot.send("!endmeeting 1", sender=ADMIN, room=ROOM_A)
    assert "book the hall" in await bot.ask("!minutes 1", sender=BOB)
    assert "book the hall" in await bot.ask("!minutes 1 2027-03-01", sender=BOB)
    assert (await bot.ask("!minutes 1 2027-03-08", sender=BOB)).startswith("Sorry")
    assert (await bot.ask("!minutes 1 2027-13-45", sender=BOB)).startswith("Sorry")


async def test_a_line_is_a_note_to_read_and_other_text_is_not(bot: ChatHarness) -> None:
    assert bot.app.is_note("#info the hall is booked")
    assert bot.app.is_note("  #acción @bob:localhost hacerlo")
    assert not bot.app.is_note("#random chatter")
    assert not bot.app.is_note("hello")


async def test_the_starting_message_shows_answers_agenda_and_how_to_take_minutes(
    bot: ChatHarness,
) -> None:
    bot.transport.join(ROOM_A)
    await bot.ask(
        f'!meeting add title=Call when="2027-03-01 12:00" tz=UTC reminders=0 rooms={ROOM_A}',
        sender=ADMIN,
    )
    await bot.ask("!agenda 1 add Budget_for *spring*", sender=ADMIN)
    await bot.ask("!rsvp 1 yes", sender=ALICE)
    await bot.ask("!rsvp 1 no", sender=BOB)
    [starting] = [s for s in await bot.advance(hours=3) if "starting now" in s.body]
    assert starting.room_id == ROOM_A
    assert "Answers: 1 yes, 0 maybe, 1 no." in starting.body
    assert "1. Budget_for *spring*" in starting.body
    assert "#action @who due 2027-01-20" in starting.body and "!endmeeting 1" in starting.body


async def test_mydata_counts_lines_and_lists_agenda_items_and_forgetme_unnames_them(
    bot: ChatHarness,
) -> None:
    roots = await _running(bot, ROOM_A)
    await bot.ask("!agenda 1 add Posters for spring", sender=ADMIN)
    bot.transport.display_names[UserId(BOB)] = "Bob Brown"
    await _four_lines(bot, roots[ROOM_A])
    mine = (await bot.send("!mydata", sender=BOB))[0].body
    assert "2 lines of minutes you said" in mine
    admin = (await bot.send("!mydata", sender=ADMIN))[0].body
    assert "Posters for spring" in admin
    await bot.send("!forgetme", sender=BOB)
    await bot.send("!forgetme confirm", sender=BOB)
    await bot.send("!forgetme", sender=ADMIN)
    await bot.send("!forgetme confirm", sender=ADMIN)
    assert "lines of minutes" not in (await bot.send("!mydata", sender=BOB))[0].body
    assert "Posters" not in (await bot.send("!mydata", sender=ADMIN))[0].body
    await bot.send("!endmeeting 1", sender=ADMIN, room=ROOM_A)
    body = bot.transport.sent[-1].reply.markdown
    assert "We spend 200 on posters" in body and "Bob Brown" not in body
    assert "said by someone" in body


async def test_endmeeting_handled_again_after_a_restart_answers_as_the_first_time(
    bot: ChatHarness,
) -> None:
    """A command that ended a meeting, handled again (the bot stopped before recording it
    answered), posts nothing more and says no "Sorry"; typed in a direct message, both times
    it says where the minutes went."""
    roots = await _running(bot, ROOM_A)
    await _four_lines(bot, roots[ROOM_A])
    dm = await bot.transport.direct_room(UserId(ADMIN))
    end = Message(
        room_id=dm, sender=ADMIN, body="!endmeeting 1", event_id="$end",  # type: ignore[arg-type]
        timestamp=bot.clock.now(), is_direct=True,
    )  # fmt: skip
    first = await bot.app.process(end)
    again = await bot.app.process(end)
    assert [o.reply.markdown for o in first] == [o.reply.markdown for o in again]
    assert first and first[0].reply.markdown.startswith("Ended")
    assert sum("Minutes of" in out.reply.markdown for out in bot.transport.sent) == 1


async def test_the_owners_of_the_minutes_actions_each_get_one_message_on_the_due_date(
    config: Config,
) -> None:
    """From `#action` lines to the due date: Bob's action (due 2027-03-20) reminds him once at
    09:00 of his zone, across a restart; Carol's (no date) reminds nobody."""
    async with ChatHarness(config, ManualClock(START)) as bot:
        roots = await _running(bot, ROOM_A)
        await bot.send("!tz America/Bogota", sender=BOB)
        await _four_lines(bot, roots[ROOM_A])
        await bot.send("!endmeeting 1", sender=ADMIN, room=ROOM_A)
        seen = await bot.advance(days=18)  # to 2027-03-19, evening
        stopped = bot.clock.now()
    async with ChatHarness(config, ManualClock(stopped)) as again:
        seen += await again.advance(days=3)
        bob = await again.transport.direct_room(UserId(BOB))
        carol = await again.transport.direct_room(UserId(CAROL))
    due = [(s.room_id, s.at) for s in seen if "is due today" in s.body]
    # 09:00 in Bogotá (UTC-5) on the due date
    assert due == [(bob, datetime(2027, 3, 20, 14, 0, tzinfo=UTC))]
    assert carol not in [s.room_id for s in seen]
