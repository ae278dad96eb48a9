"""A room upgraded (its tombstone) is followed: the bot joins the replacement, and the
group, its meetings, the room's language and the config's rooms all move to it once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from natm_bot.config.settings import Config, FixedAnnouncement
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId, UserId
from natm_bot.testing.harness import ChatHarness, make_config
from tests.conftest import ADMIN, ALICE, BOB

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
OLD = RoomId("!old-algo:example.org")
NEW = RoomId("!new-algo:example.org")
NEWEST = RoomId("!newest-algo:example.org")
COORD = "@coord:localhost"
CALL = 'title=Call group=algo when="2027-03-01 12:00" tz=UTC reminders=1h'


@pytest.fixture
def config(tmp_path: Path) -> Config:
    base = make_config(tmp_path, admins=[ADMIN])
    weekly = FixedAnnouncement(
        id="weekly", text="Weekly check-in", rooms=[OLD], start="2027-03-01 11:00"
    )
    return base.model_copy(update={"announcements": [weekly]})


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[ChatHarness]:
    async with ChatHarness(config, ManualClock(START)) as harness:
        algo = await harness.app.groups.resolve("algorithm-observatory")
        await harness.app.groups.update(replace(algo, coordinators=(COORD,), room=OLD))
        yield harness


def _sent_to(bot: ChatHarness, room: str, words: str) -> list[str]:
    return [
        o.reply.markdown
        for o in bot.transport.sent
        if o.room_id == room and words in o.reply.markdown
    ]


async def test_an_upgraded_group_room_moves_its_group_meetings_and_language(
    bot: ChatHarness,
) -> None:
    assert (await bot.ask(f"!meeting add {CALL}", sender=ADMIN)).startswith("Planned #1")
    await bot.app.languages.set_room(OLD, "fr")
    seen = await bot.upgrade(OLD, NEW, sender="@mod:other.example")
    assert bot.transport.joins == [(NEW, ("example.org", "other.example"))]
    [notice] = seen
    assert notice.room_id == await bot.transport.direct_room(UserId(ADMIN))
    assert f"The room {OLD} was upgraded: I joined its replacement {NEW}." in notice.body
    assert "3 links" in notice.body
    assert f"Room: {NEW}" in await bot.ask("!group algo")
    meeting = await bot.ask("!meeting 1")
    assert NEW in meeting and OLD not in meeting
    assert await bot.app.languages.for_room(NEW) == "fr"
    await bot.send("!join algo", sender=BOB)
    assert (NEW, UserId(BOB)) in bot.transport.invites
    assert (OLD, UserId(BOB)) not in bot.transport.invites
    await bot.advance(hours=2)  # the call's reminder, an hour before noon
    assert _sent_to(bot, NEW, "Call") and not _sent_to(bot, OLD, "Call")


async def test_the_same_tombstone_again_changes_nothing_and_tells_nobody(bot: ChatHarness) -> None:
    assert len(await bot.upgrade(OLD, NEW)) == 1
    assert await bot.upgrade(OLD, NEW) == []
    assert await bot.upgrade(OLD, NEW, event_id="$another-copy") == []
    assert len(bot.transport.joins) == 1
    rows = await bot.app.db.fetchall("SELECT old, new FROM room_moves")
    assert [tuple(r) for r in rows] == [(OLD, NEW)]


async def test_config_rooms_naming_the_old_room_reach_the_new_one(bot: ChatHarness) -> None:
    await bot.upgrade(OLD, NEW)
    assert await bot.transport.room_id(OLD) == NEW
    await bot.advance(hours=2)  # the config's weekly announcement, at 11:00
    assert _sent_to(bot, NEW, "Weekly check-in") and not _sent_to(bot, OLD, "Weekly")
    seed = next(s for s in bot.app.content.groups if s.id == "algorithm-observatory")
    await bot.app.groups.import_seeds([seed.model_copy(update={"room": OLD})])
    assert (await bot.app.groups.resolve("algo")).room == NEW


async def test_an_upgrade_of_an_upgrade_is_followed_to_the_end(bot: ChatHarness) -> None:
    await bot.upgrade(OLD, NEW)
    await bot.upgrade(NEW, NEWEST)
    assert (await bot.app.groups.resolve("algo")).room == NEWEST
    assert await bot.transport.room_id(OLD) == NEWEST
    assert bot.app.rooms.upgrades.resolve(OLD) == NEWEST


async def test_a_replacement_the_bot_cannot_join_moves_nothing(bot: ChatHarness) -> None:
    bot.transport.unjoinable.add(NEW)
    assert await bot.upgrade(OLD, NEW) == []
    assert (await bot.app.groups.resolve("algo")).room == OLD
    bot.transport.unjoinable.clear()
    assert len(await bot.upgrade(OLD, NEW)) == 1  # the next tombstone seen follows it
    assert (await bot.app.groups.resolve("algo")).room == NEW


async def test_a_room_upgraded_while_the_bot_was_away_is_followed_at_start(
    bot: ChatHarness,
) -> None:
    bot.transport.state[(OLD, "m.room.tombstone", "")] = {"replacement_room": NEW, "body": "x"}
    await bot.app.follow_missed_upgrades()
    assert (await bot.app.groups.resolve("algo")).room == NEW
    assert [o.room_id for o in bot.transport.sent] == [
        await bot.transport.direct_room(UserId(ADMIN))
    ]
    await bot.app.follow_missed_upgrades()  # once only
    assert len(bot.transport.sent) == 1 and len(bot.transport.joins) == 1


async def test_moves_are_read_again_after_a_restart(bot: ChatHarness, config: Config) -> None:
    await bot.upgrade(OLD, NEW)
    async with ChatHarness(config, ManualClock(START)) as again:
        assert await again.transport.room_id(OLD) == NEW
        assert again.app.rooms.upgrades.resolve(OLD) == NEW


async def test_tombstones_naming_odd_rooms_move_nothing(bot: ChatHarness) -> None:
    assert await bot.upgrade(OLD, OLD) == []
    assert await bot.upgrade("!elsewhere:example.org", NEW, sender=ALICE) != []  # no links
    assert (await bot.app.groups.resolve("algo")).room == OLD
