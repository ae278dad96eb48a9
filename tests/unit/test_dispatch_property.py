"""No text, however odd, makes the dispatcher raise; every command-shaped text gets a reply."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natm_bot.core.messages import EventId, Message, RoomId, UserId
from natm_bot.engine.arguments import normalise
from natm_bot.testing.harness import ChatHarness
from tests.conftest import examples

_ids = itertools.count()
WORDS = st.sampled_from(
    ["principles", "readings", "help", "glossary", "about", "groups", "intro", '"', "“", "9", "-1"]
)
TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=6).map(" ".join),
)


def _message(body: str) -> Message:
    return Message(
        RoomId("!r:localhost"),
        UserId("@p:localhost"),
        body,
        EventId(f"$p{next(_ids)}"),
        datetime.now(UTC),
    )


@settings(
    max_examples=examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=TEXT, prefixed=st.booleans())
async def test_dispatch_never_raises(bot: ChatHarness, text: str, prefixed: bool) -> None:
    body = f"!{text}" if prefixed else text
    await bot.reset()
    replies = await bot.app.dispatcher.dispatch(_message(body))
    stripped = normalise(body).strip()  # full-width "！" counts as "!", so "!！" is "!!"
    command_shaped = stripped.startswith("!") and len(stripped) > 1 and not stripped[1].isspace()
    if command_shaped and not stripped.startswith("!!") and not stripped.startswith(">"):
        assert replies, f"no reply to {body!r}"
        assert all(r.markdown.strip() for r in replies)
    if not body.lstrip().startswith(("!", "！", ">")):
        assert replies is None
