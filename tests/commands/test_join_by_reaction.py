"""Joining a working group by reacting to the bot's card of it (👍) or to its list (the
number keycaps); taking the reaction back leaves nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natm_bot.config.settings import Config
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import Card, EventId
from natm_bot.features.groups.cards import chosen, is_thumbs_up, keycap_number
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.conftest import ADMIN, BOB, examples

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
CAROL = "@carol:localhost"
OTHER_ROOM = "!other:localhost"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, admins=[ADMIN])


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[ChatHarness]:
    async with ChatHarness(config, ManualClock(START)) as harness:
        yield harness


async def _signups(bot: ChatHarness) -> list[tuple[str, str]]:
    rows = await bot.app.db.fetchall("SELECT group_id, user_id FROM signups ORDER BY id")
    return [(str(r[0]), str(r[1])) for r in rows]


async def _posted(bot: ChatHarness, text: str) -> EventId:
    """Type `text` in the lobby; the event its one reply became."""
    before = len(bot.transport.sent)
    await bot.send(text)
    [out] = bot.transport.sent[before:]
    return bot.transport.event_of(out)


async def test_thumbs_up_on_a_card_joins_once_and_taking_it_back_leaves_nothing(
    bot: ChatHarness,
) -> None:
    card = await _posted(bot, "!group algo")
    assert "React 👍 to this message to join." in bot.transport.sent[-1].reply.markdown
    reaction = await bot.react(card, "👍🏽", sender=BOB)
    assert await _signups(bot) == [("algorithm-observatory", BOB)]
    assert "Welcome to **Algorithm Observatory**" in bot.transport.sent[-1].reply.markdown
    assert bot.transport.sent[-1].room_id == LOBBY
    await bot.react(card, "👍", sender=BOB)  # a second thumb: already in
    assert "You are already in" in bot.transport.sent[-1].reply.markdown
    await bot.retract(reaction, sender=BOB)
    assert await _signups(bot) == [("algorithm-observatory", BOB)]


async def test_a_keycap_on_the_list_joins_the_group_at_that_place(bot: ChatHarness) -> None:
    listing = await _posted(bot, "!groups")
    text = bot.transport.sent[-1].reply.markdown
    assert "React with a number (1️⃣ to 🔟) to join the group at that place" in text
    second = (await bot.app.groups.all())[1]
    assert f"(`{second.id}`)" in text.split("\n2. ")[1].split("\n")[0]
    await bot.react(listing, "2️⃣", sender=CAROL)
    assert await _signups(bot) == [(second.id, CAROL)]
    sent = len(bot.transport.sent)
    await bot.react(listing, "👍", sender=BOB)  # nothing on the list
    await bot.react(listing, "🔟", sender=BOB)  # fewer than ten groups
    await bot.react(listing, "2", sender=BOB)  # a digit, not a keycap
    await bot.react(listing, "2️⃣", sender=BOB, room=OTHER_ROOM)  # not where the list is
    assert len(bot.transport.sent) == sent and await _signups(bot) == [(second.id, CAROL)]


async def test_reactions_to_other_messages_join_nothing(bot: ChatHarness) -> None:
    other = await _posted(bot, "!help")
    await bot.react(other, "👍", sender=BOB)
    await bot.react("$not-a-message-of-the-bot", "1️⃣", sender=BOB)
    assert await _signups(bot) == []


async def test_old_cards_are_forgotten_with_the_retention(bot: ChatHarness) -> None:
    card = await _posted(bot, "!group algo")
    await bot.advance(seconds=bot.app.config.privacy.retention + 1)
    await bot.app.privacy.prune(bot.app.config.privacy.retention)
    await bot.react(card, "👍", sender=BOB)
    assert await _signups(bot) == []


KEYS = st.sampled_from(["👍", "👍🏿", "1️⃣", "2️⃣", "🔟", "3⃣", "👎", "", "x"]) | st.text(max_size=8)


@settings(
    max_examples=examples(60),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    deadline=None,
)
@given(keys=st.lists(st.tuples(st.integers(0, 2), KEYS), max_size=6))
async def test_any_key_on_any_event_never_raises_and_joins_at_most_one_group(
    bot: ChatHarness, keys: list[tuple[int, str]]
) -> None:
    await bot.reset()
    targets = [await _posted(bot, "!groups"), await _posted(bot, "!group algo"), EventId("$x")]
    for target, key in keys:
        before = len(await _signups(bot))
        await bot.react(targets[target], key, sender=BOB)
        assert len(await _signups(bot)) - before in (0, 1)


@given(st.text(max_size=6))
def test_reading_a_key_never_raises(key: str) -> None:
    number = keycap_number(key)
    assert number is None or 1 <= number <= 10
    assert not (is_thumbs_up(key) and number is not None)
    assert chosen(Card(groups=("a", "b")), key) in (None, "a", "b")


def test_thumbs_up_in_every_skin_tone_and_the_keycaps() -> None:
    assert all(is_thumbs_up("👍" + tone) for tone in ("", "🏻", "🏼", "🏽", "🏾", "🏿", "\ufe0f"))
    assert not any(is_thumbs_up(k) for k in ("👎", "👍👍", "👍x", "x👍"))
    assert [keycap_number(f"{n}\ufe0f\u20e3") for n in range(1, 10)] == list(range(1, 10))
    assert keycap_number("🔟") == 10 and keycap_number("0️⃣") is None
