"""Whatever people type is shown as text: no markup, no links, no pings, bounded in size."""

from __future__ import annotations

import json

import pytest

from natm_bot.core.messages import Reply
from natm_bot.matrix.content import MAX_CONTENT_BYTES, message_content
from natm_bot.testing.harness import ChatHarness, Seen
from tests.conftest import ADMIN

IMG = '<img src=x onerror="alert(1)">'
LINK = '<a href="https://evil.example/phish">the official NATM form</a>'
MD_LINK = "[the official NATM form](https://evil.example/phish)"
PILL = "https://matrix.to/#/@admin:localhost"
HOSTILE = f"{IMG} {LINK} {MD_LINK} @room {PILL}"

COMMANDS = [
    f"!readings {HOSTILE}",
    f"!glossary {HOSTILE}",
    f"!join {HOSTILE}",
    f"!group {HOSTILE}",
    f'!group create "{HOSTILE}"',
    f"!group edit algo description {HOSTILE}",
    "!group algo",
    f'!meeting add title="{HOSTILE}" when="2030-01-01 10:00" tz=UTC',
    "!meetings",
    "!meeting 1",
    f"!tz {HOSTILE}",
    f"!rsvp 1 {HOSTILE}",
    f'!members apply name="{HOSTILE}" category=learning country=KE'
    f' website=https://example.org description="{HOSTILE}"',
    f"!members {HOSTILE}",
    f"!member {HOSTILE}",
    f"!{HOSTILE}",
]


def _safe(reply: Seen) -> None:
    html = reply.html
    assert "<img" not in html, html
    assert 'href="https://evil' not in html and "javascript:" not in html, html
    assert "matrix.to/#" not in html and "matrix.to/#" not in reply.body, reply.body
    content = message_content(Reply(reply.body))
    assert content["m.mentions"] == {}
    assert len(json.dumps(content).encode()) <= MAX_CONTENT_BYTES


@pytest.mark.parametrize("command", COMMANDS)
async def test_hostile_text_is_inert(bot: ChatHarness, command: str) -> None:
    await bot.ask('!meeting add title=Call when="2030-01-01 10:00" tz=UTC', sender=ADMIN)
    replies = await bot.send(command, sender=ADMIN)
    assert replies, command
    for reply in replies:
        _safe(reply)


@pytest.mark.parametrize("command", ["!readings ", "!group create ", "!members apply name="])
async def test_sixty_kib_of_text_is_refused_politely(bot: ChatHarness, command: str) -> None:
    replies = await bot.send(command + "x" * 60 * 1024, sender=ADMIN)
    assert [r.body for r in replies] == [
        "That message is too long for me to read; the limit is 2000 characters."
    ]


def test_a_reply_too_big_for_one_event_is_cut_to_fit() -> None:
    huge = "\n".join(f"- line {n} " + "word " * 30 for n in range(2000))
    content = message_content(Reply(huge))
    assert len(json.dumps(content, ensure_ascii=False).encode()) <= MAX_CONTENT_BYTES
    assert content["body"].endswith("(cut short: the whole answer does not fit in one message)")
    one_line = message_content(Reply("x" * 200_000))
    assert len(json.dumps(one_line, ensure_ascii=False).encode()) <= MAX_CONTENT_BYTES
