"""Who gets which language: a person's choice, else the room's, else the config's default."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId, UserId
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.conftest import ADMIN, ALICE, BOB

OTHER = RoomId("!other:localhost")


async def test_a_persons_choice_is_kept_shown_and_forgotten(bot: ChatHarness) -> None:
    shown = await bot.ask("!lang")
    assert shown.startswith("I answer you in English.")
    assert "es (Español)" in shown and "pt (Português)" in shown
    assert await bot.ask("!lang español") == "Desde ahora te respondo en español."
    assert (await bot.ask("!lang")).startswith("Te respondo en español.")
    assert (await bot.ask("!lang", sender=BOB)).startswith("I answer you in English.")
    mydata = (await bot.send("!mydata", is_direct=True))[0].body
    assert "El idioma en que te respondo: Español" in mydata
    await bot.send("!forgetme", is_direct=True)
    await bot.send("!forgetme confirm", is_direct=True)
    assert (await bot.ask("!lang")).startswith("I answer you in English.")


async def test_only_a_moderator_sets_the_rooms_language(bot: ChatHarness) -> None:
    assert "room moderators" in await bot.ask("!lang room fr")
    bot.transport.set_power_level(RoomId(LOBBY), UserId(ALICE), 50)
    assert (
        await bot.ask("!lang room Français") == "La langue de ce salon est désormais le français."
    )
    assert await bot.ask("!lang room") == "La langue de ce salon est le français."
    assert (await bot.ask("!lang", sender=BOB)).startswith("Je te réponds en français.")
    await bot.ask("!lang pt", sender=BOB)  # a person's own choice wins over the room's
    assert (await bot.ask("!lang", sender=BOB)).startswith("Respondo a você em português.")
    elsewhere = await bot.ask("!lang", room="!other:localhost")
    assert elsewhere.startswith("I answer you in English.")


async def test_an_unknown_language_is_a_usage_error(bot: ChatHarness) -> None:
    reply = await bot.ask("!lang klingon")
    assert "klingon" in reply and "Usage: !lang [choice]" in reply


async def test_each_room_gets_the_announcement_in_its_own_language(tmp_path: Path) -> None:
    config = make_config(tmp_path, admins=[ADMIN])
    async with ChatHarness(config, ManualClock(datetime(2027, 3, 1, 9, tzinfo=UTC))) as bot:
        bot.transport.join(OTHER)
        bot.transport.set_power_level(OTHER, UserId(ADMIN), 100)
        await bot.ask("!lang room es", sender=ADMIN, room=OTHER)
        fields = f'title=Call when="2027-03-02 18:00" tz=UTC reminders=0 rooms={LOBBY},{OTHER}'
        await bot.send(f"!meeting add {fields}", sender=ADMIN)
        seen = {s.room_id: s.body.splitlines()[0] for s in await bot.advance(days=2)}
    assert seen == {LOBBY: "📣 Call is starting now!", OTHER: "📣 ¡Call empieza ahora!"}
