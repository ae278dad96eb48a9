"""Welcoming newcomers: one direct message on a first join of a room that welcomes, a reply
of numbers joining groups, one follow-up, a batched public greeting, and nothing kept but
a keyed hash of the person's id (shown by `!mydata`, erased by `!forgetme`, pruned)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from natm_bot.config.onboarding import OnboardingSection
from natm_bot.core.messages import RoomId, UserId
from natm_bot.testing.harness import ChatHarness, Seen, make_config
from tests.conftest import ADMIN, ALICE, BOB, examples

LOBBY = "!lobby:localhost"
HALL = "!hall:localhost"
ELSEWHERE = "!elsewhere:localhost"
MOD = "@mod:localhost"


def _config(tmp_path: Path, **onboarding: object) -> object:
    config = make_config(tmp_path, admins=[ADMIN])
    section = OnboardingSection.model_validate({"rooms": [LOBBY, HALL], **onboarding})
    return config.model_copy(update={"onboarding": section})


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """A bot that welcomes newcomers to the lobby and the hall."""
    async with ChatHarness(_config(tmp_path)) as harness:  # type: ignore[arg-type]
        yield harness


async def _dm(bot: ChatHarness, user: str) -> RoomId:
    return await bot.transport.direct_room(UserId(user))


async def _welcomes(bot: ChatHarness, user: str, seen: list[Seen]) -> list[str]:
    dm = await _dm(bot, user)
    return [s.body for s in seen if s.room_id == dm]


async def _signups(bot: ChatHarness, user: str) -> list[str]:
    return [s.group_id for s in await bot.app.groups.signups(user_id=user)]


async def test_a_first_join_gets_one_welcome_naming_the_open_groups(bot: ChatHarness) -> None:
    seen = await bot.member(ALICE, "join", room=LOBBY)
    [welcome] = await _welcomes(bot, ALICE, seen)
    assert welcome.startswith("Welcome to")
    groups = [g.name for g in await bot.app.groups.all() if g.open]
    for number, name in enumerate(groups, 1):
        assert f"{number}. {name}" in welcome
    assert "!members apply" in welcome and "!support" in welcome
    assert "keyed hash" in welcome
    assert "¿En español? !lang es" in welcome and "En français ? !lang fr" in welcome


async def test_no_second_welcome_for_a_second_join_another_room_or_a_rejoin(
    bot: ChatHarness,
) -> None:
    assert await _welcomes(bot, ALICE, await bot.member(ALICE, "join", room=LOBBY))
    assert await bot.member(ALICE, "join", room=LOBBY, previous="join") == []
    assert await bot.member(ALICE, "join", room=HALL) == []
    await bot.member(ALICE, "leave", room=LOBBY, previous="join")
    assert await bot.member(ALICE, "join", room=LOBBY, previous="leave") == []


async def test_no_welcome_where_off_for_ignored_ids_or_for_the_bot(bot: ChatHarness) -> None:
    assert await bot.member(ALICE, "join", room=ELSEWHERE) == []
    assert await bot.member("@telegram_123:localhost", "join", room=LOBBY) == []
    assert await bot.member("@_discord_99:localhost", "join", room=LOBBY) == []
    assert await bot.member("@bot:localhost", "join", room=LOBBY) == []
    assert await bot.member(BOB, "invite", room=LOBBY) == []
    assert await bot.app.db.fetchall("SELECT * FROM onboarding_people") == []


async def test_the_same_join_read_again_after_a_crash_sends_the_same_message(
    bot: ChatHarness,
) -> None:
    await bot.member(ALICE, "join", room=LOBBY)
    first = bot.transport.sent[-1]
    join = await bot.app.db.fetchone("SELECT join_digest FROM onboarding_people")
    assert join is not None
    # The join is handed again (the inbox re-reads it after a kill): same event, same txn.
    from natm_bot.core.messages import EventId, Membership

    again = Membership(
        RoomId(LOBBY), UserId(ALICE), EventId("$harness-1"), bot.clock.now(), UserId(ALICE),
        "join", None,
    )  # fmt: skip
    out = await bot.app.handle(again)
    assert [o.txn_id for o in out] == [first.txn_id]


async def test_replying_numbers_joins_those_groups_through_join(bot: ChatHarness) -> None:
    await bot.member(ALICE, "join", room=LOBBY)
    groups = [g for g in await bot.app.groups.all() if g.open]
    dm = await _dm(bot, ALICE)
    seen = await bot.send("2", sender=ALICE, room=dm, is_direct=True)
    assert await _signups(bot, ALICE) == [groups[1].id]
    assert any("Welcome" in s.body for s in seen)
    # The flow is over: a second reply is not taken as an answer.
    assert await bot.send("1", sender=ALICE, room=dm, is_direct=True) == []
    await bot.member(BOB, "join", room=LOBBY)
    await bot.send("1 3", sender=BOB, room=await _dm(bot, BOB), is_direct=True)
    assert sorted(await _signups(bot, BOB)) == sorted([groups[0].id, groups[2].id])


async def test_stop_ends_the_flow_and_no_follow_up_comes(bot: ChatHarness) -> None:
    await bot.member(ALICE, "join", room=LOBBY)
    bot.transport.add_members(RoomId(LOBBY), ALICE)
    dm = await _dm(bot, ALICE)
    [answer] = await bot.send("stop", sender=ALICE, room=dm, is_direct=True)
    assert "I won't write about this again" in answer.body
    assert [s.room_id for s in await bot.advance(days=4)] == [LOBBY]  # the greeting only


async def test_numbers_naming_no_group_say_so_and_keep_the_flow(bot: ChatHarness) -> None:
    await bot.member(ALICE, "join", room=LOBBY)
    dm = await _dm(bot, ALICE)
    [answer] = await bot.send("0 99", sender=ALICE, room=dm, is_direct=True)
    assert "Reply with numbers from 1 to" in answer.body
    assert await _signups(bot, ALICE) == []
    # still open: a good number joins
    await bot.send("1", sender=ALICE, room=dm, is_direct=True)
    assert len(await _signups(bot, ALICE)) == 1


async def test_a_number_in_a_room_or_from_someone_not_welcomed_is_no_answer(
    bot: ChatHarness,
) -> None:
    await bot.member(ALICE, "join", room=LOBBY)
    assert await bot.send("2", sender=ALICE, room=LOBBY) == []
    assert await bot.send("2", sender=BOB, room=await _dm(bot, BOB), is_direct=True) == []
    assert await _signups(bot, ALICE) == [] and await _signups(bot, BOB) == []


async def test_one_follow_up_after_three_days_only_to_who_chose_nothing_and_stayed(
    bot: ChatHarness,
) -> None:
    carol = "@carol:localhost"
    for user in (ALICE, BOB, carol):
        await bot.member(user, "join", room=LOBBY)
    bot.transport.add_members(RoomId(LOBBY), ALICE, BOB)  # carol left meanwhile
    await bot.send("1", sender=BOB, room=await _dm(bot, BOB), is_direct=True)
    await bot.advance(minutes=11)  # the greeting
    assert await bot.advance(days=2, hours=23) == []
    seen = await bot.advance(hours=2)
    assert [s.room_id for s in seen] == [await _dm(bot, ALICE)]
    assert "Hello again" in seen[0].body
    assert await bot.advance(days=30) == []


async def test_two_hundred_joins_make_one_greeting_per_ten_minutes(bot: ChatHarness) -> None:
    people = [f"@person{n}:localhost" for n in range(200)]
    dms = 0
    for index, user in enumerate(people):
        dms += len(await _welcomes(bot, user, await bot.member(user, "join", room=LOBBY)))
        if index == 0:
            first = await bot.advance(seconds=1)
    later = await bot.advance(minutes=10)
    assert dms == 200
    assert [s.body for s in first] == ["Welcome, person0: I've sent you a direct message."]
    [greeting] = later
    assert greeting.room_id == LOBBY and "and 189 others" in greeting.body
    assert await bot.advance(minutes=30) == []


async def test_no_greeting_when_greet_in_room_is_off(tmp_path: Path) -> None:
    config = _config(tmp_path, greet_in_room=False)
    async with ChatHarness(config) as bot:  # type: ignore[arg-type]
        await bot.member(ALICE, "join", room=LOBBY)
        assert await bot.advance(minutes=20) == []


async def test_moderators_switch_the_welcome_on_and_off(bot: ChatHarness) -> None:
    bot.transport.set_power_level(RoomId(ELSEWHERE), UserId(MOD), 50)
    bot.transport.set_power_level(RoomId(LOBBY), UserId(MOD), 50)
    refused = await bot.ask("!welcome on", sender=ALICE, room=ELSEWHERE)
    assert "moderator" in refused.casefold()
    assert "now get one direct message" in await bot.ask("!welcome on", sender=MOD, room=ELSEWHERE)
    assert await _welcomes(bot, ALICE, await bot.member(ALICE, "join", room=ELSEWHERE))
    assert "no longer" in await bot.ask("!welcome off", sender=MOD, room=LOBBY)
    assert await bot.member(BOB, "join", room=LOBBY) == []
    assert "!welcome on" in await bot.ask("!welcome maybe", sender=MOD, room=LOBBY)


async def test_mydata_shows_the_welcome_and_forgetme_erases_every_byte(tmp_path: Path) -> None:
    config = _config(tmp_path)
    database = config.resolve(config.paths.database)  # type: ignore[attr-defined]
    async with ChatHarness(config) as bot:  # type: ignore[arg-type]
        await bot.member(ALICE, "join", room=LOBBY)
        digest = bot.app.members.supporter_digest(ALICE)
        report = await bot.send("!mydata", sender=ALICE)
        assert any("You were welcomed on" in s.body for s in report)
        await bot.send("!forgetme", sender=ALICE)
        await bot.send("!forgetme confirm", sender=ALICE)
        await bot.app.checkpoint_if_due()
        for needle in (ALICE.encode(), digest.encode()):
            files = [database, Path(f"{database}-wal")]
            assert [f.name for f in files if f.exists() and needle in f.read_bytes()] == []
        assert all("welcomed" not in s.body for s in await bot.send("!mydata", sender=ALICE))


async def test_retention_prunes_flows_ended_long_ago(bot: ChatHarness) -> None:
    await bot.member(ALICE, "join", room=LOBBY)
    await bot.send("stop", sender=ALICE, room=await _dm(bot, ALICE), is_direct=True)
    await bot.app.privacy.prune(86400)
    assert len(await bot.app.db.fetchall("SELECT * FROM onboarding_people")) == 1
    await bot.advance(days=2)
    await bot.app.privacy.prune(86400)
    assert await bot.app.db.fetchall("SELECT * FROM onboarding_people") == []


async def test_the_welcome_speaks_the_persons_language(bot: ChatHarness) -> None:
    await bot.send("!lang es", sender=ALICE)
    [welcome] = await _welcomes(bot, ALICE, await bot.member(ALICE, "join", room=LOBBY))
    assert welcome.startswith("¡Bienvenida, bienvenido a")
    assert "Responde `stop`" not in welcome and "Responde stop y no volveré" in welcome


@settings(
    max_examples=examples(60), deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(
    text=st.one_of(st.text(max_size=80), st.from_regex(r"\s*(\d{1,9}[ ,]*){1,40}", fullmatch=True))
)
async def test_any_direct_message_never_raises_and_joins_at_most_the_listed_groups(
    bot: ChatHarness, text: str
) -> None:
    await bot.reset()
    await bot.member(ALICE, "join", room=LOBBY)
    listed = {g.id for g in await bot.app.groups.all() if g.open}
    await bot.send(text, sender=ALICE, room=await _dm(bot, ALICE), is_direct=True)
    assert set(await _signups(bot, ALICE)) <= listed


@given(st.text(max_size=30))
def test_the_onboarding_section_reads_or_refuses_any_follow_up(value: str) -> None:
    try:
        section = OnboardingSection.model_validate({"follow_up": value})
    except ValidationError:
        return
    assert 3600 <= section.follow_up <= 90 * 86400


def test_the_onboarding_section_refuses_bad_rooms_and_patterns() -> None:
    with pytest.raises(ValidationError):
        OnboardingSection.model_validate({"rooms": ["#lobby:localhost"]})
    with pytest.raises(ValidationError):
        OnboardingSection.model_validate({"ignore": ["@bad(:x"]})
    assert OnboardingSection().ignored("@whatsapp_33612:example.org")
    assert not OnboardingSection().ignored(ALICE)
