"""The notice to a person whose encrypted message the bot could never read: in their
language, in the room, pointing at the message, naming them, once per event."""

from __future__ import annotations

from pathlib import Path

import pytest

from natm_bot.core.messages import EventId, Message, RoomId, UserId
from natm_bot.engine.rendering import render
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config

ALICE = UserId("@alice:localhost")
EXPECTED = {
    "en": "send it again",
    "es": "envíalo de nuevo",
    "fr": "Renvoie-le",
    "pt": "envie-a de novo",
}


@pytest.mark.parametrize("lang", sorted(EXPECTED))
async def test_the_sender_is_told_in_their_language(tmp_path: Path, lang: str) -> None:
    async with ChatHarness(make_config(tmp_path)) as chat:
        if lang != "en":
            await chat.send(f"!lang {lang}")
        before = len(chat.transport.sent)
        unreadable = Message(
            RoomId(LOBBY), ALICE, "", EventId("$sealed"), chat.clock.now(), is_direct=False
        )
        await chat.app.unreadable(unreadable)
        await chat.app.unreadable(unreadable)  # told again after a restart: the same txn id
        sent = chat.transport.sent[before:]
        assert len({out.txn_id for out in sent}) == 1
        out = sent[0]
        assert out.room_id == LOBBY and out.in_reply_to == unreadable
        assert out.reply.mentions == (ALICE,)
        body = render(out.reply.markdown).body
        assert EXPECTED[lang] in body, body
        assert "!" not in body
