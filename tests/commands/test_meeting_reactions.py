"""Answering for a meeting by reacting to its announcements, and one thread per date."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natm_bot.config.settings import Config
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import EventId, Outgoing, RoomId
from natm_bot.features.meetings.reactions import answer_of
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.conftest import ADMIN, examples

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
PEOPLE = [f"@person{n}:localhost" for n in range(1, 5)]
P1, P2, P3, P4 = PEOPLE
ROOM_A = RoomId("!a:localhost")
ROOM_B = RoomId("!b:localhost")
CALL = 'title=Call when="2027-03-03 09:00" tz=UTC reminders=1d,1h,0'
HINT = "React ✅ ❔ ❌ to answer (yes, maybe, no)."


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, admins=[ADMIN])


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[ChatHarness]:
    async with ChatHarness(config, ManualClock(START)) as harness:
        yield harness


async def _plan(bot: ChatHarness, fields: str = CALL) -> None:
    body = await bot.ask(f"!meeting add {fields}", sender=ADMIN)
    assert body.startswith("Planned #"), body


def _announcements(bot: ChatHarness, room: str = LOBBY) -> list[Outgoing]:
    """What the bot posted in `room` about meeting #1, in order."""
    return [
        out
        for out in bot.transport.sent
        if out.room_id == room
        and ("starts in" in out.reply.markdown or "starting now" in out.reply.markdown)
    ]


async def _announced(bot: ChatHarness) -> EventId:
    """Plan the call and let its first announcement (a day before) go out; its event."""
    await _plan(bot)
    await bot.advance(days=1)
    [first] = _announcements(bot)
    return bot.transport.event_of(first)


async def _counts(bot: ChatHarness) -> str:
    body = await bot.ask("!meeting 1", sender=P1)
    return body.split("Next time: ")[1].split(" ·")[0]


async def test_four_people_react_change_and_take_back_and_a_restart_changes_nothing(
    config: Config,
) -> None:
    clock = ManualClock(START)
    async with ChatHarness(config, clock) as bot:
        target = await _announced(bot)
        mine = {}
        for person, key in zip(PEOPLE, ["✅", "❔", "❌", "✅"], strict=True):
            mine[person] = await bot.react(target, key, sender=person)
        assert await _counts(bot) == "2 going, 1 maybe, 1 not"
        sent = len(bot.transport.sent)
        assert await bot.retract(mine[P4], sender=P4) == []
        await bot.react(target, "❌", sender=P1)
        assert await bot.retract(mine[P1], sender=P1) == []  # the ✅, replaced already
        assert len(bot.transport.sent) == sent  # the bot said nothing
        assert bot.transport.reactions == []  # and reacted to nothing
        assert await _counts(bot) == "0 going, 1 maybe, 2 not"
    async with ChatHarness(config, clock) as again:
        assert await _counts(again) == "0 going, 1 maybe, 2 not"
        await again.retract(mine[P2], sender=P2)
        assert await _counts(again) == "0 going, 0 maybe, 2 not"


async def test_taking_back_the_answering_reaction_leaves_the_latest_other_one(
    bot: ChatHarness,
) -> None:
    target = await _announced(bot)
    await bot.react(target, "❌", sender=P1)
    await bot.react(target, "❔", sender=P1)
    latest = await bot.react(target, "✅", sender=P1)
    assert await _counts(bot) == "1 going, 0 maybe, 0 not"
    await bot.retract(latest, sender=P1)
    assert await _counts(bot) == "0 going, 1 maybe, 0 not"
    await bot.retract(latest, sender=P2)  # not theirs: changes nothing
    await bot.retract(latest, sender=P1)  # twice: changes nothing
    assert await _counts(bot) == "0 going, 1 maybe, 0 not"


@pytest.mark.parametrize(
    ("key", "counts"),
    [
        ("👍", "1 going, 0 maybe, 0 not"),
        ("👍🏽", "1 going, 0 maybe, 0 not"),
        ("👍🏿\ufe0f", "1 going, 0 maybe, 0 not"),
        ("✔️", "1 going, 0 maybe, 0 not"),
        ("☑", "1 going, 0 maybe, 0 not"),
        ("✅\ufe0f", "1 going, 0 maybe, 0 not"),
        ("🤔", "0 going, 1 maybe, 0 not"),
        ("❓", "0 going, 1 maybe, 0 not"),
        ("👎🏻", "0 going, 0 maybe, 1 not"),
        ("✖️", "0 going, 0 maybe, 1 not"),
        ("🎉", "0 going, 0 maybe, 0 not"),
        ("✅✅", "0 going, 0 maybe, 0 not"),
        ("yes", "0 going, 0 maybe, 0 not"),
    ],
)
async def test_each_key_answers_what_it_means(bot: ChatHarness, key: str, counts: str) -> None:
    target = await _announced(bot)
    await bot.react(target, key, sender=P1)
    assert await _counts(bot) == counts


async def test_reactions_to_anything_else_or_a_past_date_change_nothing(
    bot: ChatHarness,
) -> None:
    target = await _announced(bot)
    await bot.send("!meeting 1", sender=P1)
    reply = bot.transport.event_of(bot.transport.sent[-1])
    await bot.react(reply, "✅", sender=P1)  # a reply of the bot, not an announcement
    await bot.react("$nothing:localhost", "✅", sender=P1)
    await bot.react(target, "✅", sender=P1, room=str(ROOM_A))  # the same id, another room
    assert await _counts(bot) == "0 going, 0 maybe, 0 not"
    kept = await bot.react(target, "✅", sender=P2)
    await bot.advance(days=1, hours=1)  # the call (an hour long) is over
    await bot.react(target, "❌", sender=P3)
    await bot.retract(kept, sender=P2)
    assert "Nothing at all." in (await bot.send("!mydata", sender=P3))[0].body
    assert (
        "#1 Call on 3 Mar 2027, 09:00 UTC: yes" in (await bot.send("!mydata", sender=P2))[0].body
    )


async def test_a_cancelled_date_takes_no_answer(bot: ChatHarness) -> None:
    target = await _announced(bot)
    assert "Cancelled" in await bot.ask("!meeting cancel 1 2027-03-03", sender=ADMIN)
    await bot.react(target, "✅", sender=P1)
    assert "Nothing at all." in (await bot.send("!mydata", sender=P1))[0].body


async def test_a_typed_answer_outlives_the_retraction_of_an_older_reaction(
    bot: ChatHarness,
) -> None:
    target = await _announced(bot)
    old = await bot.react(target, "✅", sender=P1)
    assert "Noted: maybe" in await bot.ask("!rsvp 1 maybe", sender=P1)
    await bot.retract(old, sender=P1)
    assert await _counts(bot) == "0 going, 1 maybe, 0 not"
    await bot.ask("!rsvp 1 yes remind", sender=P2)
    await bot.react(target, "👍", sender=P2)  # still yes: the reminder stays
    body = (await bot.send("!mydata", sender=P2))[0].body
    assert "yes (with a reminder by direct message)" in body
    await bot.react(target, "❌", sender=P2)  # no longer coming: no reminder
    body = (await bot.send("!mydata", sender=P2))[0].body
    assert "#1 Call on 3 Mar 2027, 09:00 UTC: no" in body and "reminder" not in body


async def test_a_moved_date_keeps_the_answer_and_forgets_the_reaction(bot: ChatHarness) -> None:
    target = await _announced(bot)
    reaction = await bot.react(target, "✅", sender=P1)
    await bot.send('!meeting edit 1 when="2027-03-03 10:00"', sender=ADMIN)
    await bot.retract(reaction, sender=P1)  # about the old time: changes nothing
    assert await _counts(bot) == "1 going, 0 maybe, 0 not"
    body = (await bot.send("!mydata", sender=P1))[0].body
    assert "#1 Call on 3 Mar 2027, 10:00 UTC: yes" in body and "Reactions" not in body


async def test_reminders_and_starting_now_go_in_the_first_announcements_thread(
    bot: ChatHarness,
) -> None:
    await _plan(bot)
    await bot.ask("!rsvp 1 yes remind", sender=P1)
    await bot.advance(days=1, hours=23)
    first, hour = _announcements(bot)
    await bot.react(bot.transport.event_of(hour), "✅", sender=P2)  # a reminder answers too
    await bot.advance(hours=2)
    first, hour, start = _announcements(bot)
    assert first.thread is None
    assert "Coming? `!rsvp 1 yes`" in first.reply.markdown and HINT in first.reply.markdown
    assert hour.thread == start.thread == bot.transport.event_of(first)
    assert HINT in hour.reply.markdown
    dm = await bot.transport.direct_room(P1)  # type: ignore[arg-type]
    [reminder] = [out for out in bot.transport.sent if out.room_id == dm]
    assert reminder.thread is None and HINT not in reminder.reply.markdown
    body = (await bot.send("!mydata", sender=P2))[0].body
    assert "#1 Call on 3 Mar 2027, 09:00 UTC: yes" in body


async def test_thread_no_posts_each_in_the_room_and_is_shown(bot: ChatHarness) -> None:
    await _plan(bot, CALL + " thread=no agenda=organisers")
    body = await bot.ask("!meeting 1", sender=P1)
    assert "Reminders are posted in the room, not in a thread per date." in body
    assert "Only organisers add to the agenda." in body
    await bot.advance(days=3)
    assert [out.thread for out in _announcements(bot)] == [None, None, None]


async def test_thread_and_agenda_are_edited_and_bad_values_refused(bot: ChatHarness) -> None:
    await _plan(bot)
    body = await bot.ask("!meeting 1", sender=P1)
    assert "thread per date" not in body and "agenda" not in body
    for bad, said in (("thread=maybe", "thread is yes"), ("agenda=**x**", "agenda is anyone")):
        assert said in await bot.ask(f"!meeting edit 1 {bad}", sender=ADMIN)
    assert "thread per date" not in await bot.ask("!meeting 1", sender=P1)
    await bot.ask("!meeting edit 1 thread=no agenda=Organizers", sender=ADMIN)
    body = await bot.ask("!meeting 1", sender=P1)
    assert "thread per date" in body and "Only organisers" in body
    await bot.ask("!meeting edit 1 thread=yes agenda=anyone", sender=ADMIN)
    body = await bot.ask("!meeting 1", sender=P1)
    assert "thread per date" not in body and "Only organisers" not in body


async def test_a_resend_after_a_restart_lands_once_in_the_same_thread(config: Config) -> None:
    clock = ManualClock(START)
    async with ChatHarness(config, clock) as first:
        await _plan(
            first,
            f'title=Call when="2027-03-01 12:00" tz=UTC reminders=1h,0 rooms={ROOM_B},{ROOM_A}',
        )
        await first.advance(hours=2, minutes=1)
        [hour_b] = _announcements(first, ROOM_B)
        root = first.transport.event_of(hour_b)
        first.transport.cut_off(ROOM_B)
        await first.advance(hours=1)
        assert [out.thread for out in _announcements(first, ROOM_B)] == [None]
        await first.app.announcer.close()  # stopped while B was still being tried
    clock.advance(timedelta(minutes=5))
    async with ChatHarness(config, clock) as again:
        await again.advance(seconds=1)
        await again.advance(minutes=10)
        [start_b] = _announcements(again, ROOM_B)
        assert "starting now" in start_b.reply.markdown and start_b.thread == root


async def test_mydata_lists_reaction_answers_and_forgetme_erases_them(
    config: Config, bot: ChatHarness
) -> None:
    target = await _announced(bot)
    await bot.react(target, "❔", sender=P1)
    await bot.react(target, "✅", sender=P1)
    body = (await bot.send("!mydata", sender=P1))[0].body
    assert "Reactions to meeting announcements that answer for a date:" in body
    assert body.count("#1 Call on 3 Mar 2027, 09:00 UTC: maybe") == 1
    assert body.count("#1 Call on 3 Mar 2027, 09:00 UTC: yes") == 2  # the answer, its reaction
    await bot.send("!forgetme", sender=P1)
    await bot.send("!forgetme confirm", sender=P1)
    assert "Nothing at all." in (await bot.send("!mydata", sender=P1))[0].body
    with sqlite3.connect(config.resolve(config.paths.database)) as db:
        rows = db.execute("SELECT COUNT(*) FROM rsvp_reactions WHERE user_id = ?", (P1,))
        assert rows.fetchone() == (0,)
    await bot.react(target, "✅", sender=P2)
    assert await _counts(bot) == "1 going, 0 maybe, 0 not"


KEYS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["✅", "❔", "❌", "👍🏾", "🤔", "👎", "✔️", "\ufe0f", "👍" * 9, ""]),
)


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(key=KEYS, on_announcement=st.booleans(), then_retract=st.booleans())
async def test_any_key_on_any_event_sets_one_answer_or_none(
    bot: ChatHarness, key: str, on_announcement: bool, then_retract: bool
) -> None:
    await bot.reset()
    target = await _announced(bot)
    reaction = await bot.react(target if on_announcement else "$other:localhost", key, sender=P1)
    counts = await _counts(bot)
    meant = answer_of(key) if on_announcement else None
    expected = {
        None: "0 going, 0 maybe, 0 not",
        "yes": "1 going, 0 maybe, 0 not",
        "maybe": "0 going, 1 maybe, 0 not",
        "no": "0 going, 0 maybe, 1 not",
    }
    assert counts == expected[meant]
    if then_retract:
        await bot.retract(reaction, sender=P1)
        assert await _counts(bot) == expected[None]


def test_answer_of_reads_every_form_and_nothing_else() -> None:
    assert [
        answer_of(k) for k in ("✅", "✔", "☑️", "👍🏼", "❔", "❓", "🤔", "❌", "✖", "👎🏽")
    ] == [
        "yes",
        "yes",
        "yes",
        "yes",
        "maybe",
        "maybe",
        "maybe",
        "no",
        "no",
        "no",
    ]
    assert {answer_of(k) for k in ("", "\ufe0f", "🏽", "✅❌", "👍" + "\ufe0f" * 20, "ok")} == {
        None
    }
