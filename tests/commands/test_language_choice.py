"""Who gets which language: a person's choice, else the room's, else the config's default."""

from __future__ import annotations

from natm_bot.core.messages import RoomId, UserId
from natm_bot.testing.harness import LOBBY, ChatHarness
from tests.conftest import ALICE, BOB


async def test_a_persons_choice_is_kept_shown_and_forgotten(bot: ChatHarness) -> None:
    shown = await bot.ask("!lang")
    assert "English" in shown and "es (Español)" in shown and "pt (Português)" in shown
    await bot.ask("!lang español")
    assert "Español" in await bot.ask("!lang")
    assert "English" in await bot.ask("!lang", sender=BOB)  # others keep the default
    mydata = (await bot.send("!mydata", is_direct=True))[0].body
    assert "Español" in mydata
    await bot.send("!forgetme", is_direct=True)
    await bot.send("!forgetme confirm", is_direct=True)
    assert "English" in await bot.ask("!lang")


async def test_only_a_moderator_sets_the_rooms_language(bot: ChatHarness) -> None:
    assert "room moderators" in await bot.ask("!lang room fr")
    bot.transport.set_power_level(RoomId(LOBBY), UserId(ALICE), 50)
    await bot.ask("!lang room fr")
    assert "Français" in await bot.ask("!lang room")
    assert "Français" in await bot.ask("!lang", sender=BOB)  # the room's, for everyone
    await bot.ask("!lang pt", sender=BOB)
    assert "Português" in await bot.ask("!lang", sender=BOB)  # a person's own choice wins
    assert "Français" in await bot.ask("!lang", sender=BOB, room="!other:localhost")


async def test_an_unknown_language_is_a_usage_error(bot: ChatHarness) -> None:
    reply = await bot.ask("!lang klingon")
    assert "klingon" in reply and "Usage: !lang [choice]" in reply
