"""`bot.log_format: json`: every line a JSON object, with no message text and no secrets; with
NATM_BOT_TRACE=1, one trace line per command with every stage, and no text either."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from natm_bot.core.trace import STAGES, TRACE_ENV
from tests.integration.conftest import BotFactory
from tests.integration.people import Person

People = Callable[[str], Awaitable[Person]]
TRACE = "natm_bot.trace"


async def test_json_lines_hold_no_message_text_or_secrets(
    people: People, make_bot: BotFactory, bot_account: tuple[str, str]
) -> None:
    alice = await people("alice")
    settings = {"admins": [alice.mxid], "log_level": "DEBUG", "log_format": "json"}
    bot = make_bot(sections={"bot": settings})
    await bot.start(env={TRACE_ENV: "1"})
    room = await alice.create_room([bot.user_id], encrypted=True)
    await alice.wait_joined(room, bot.user_id)
    asked = []
    for command in (
        "!readings zebracorn-marker-7431",
        "!pricniples and-another-marker-5519",
        "!join algo",
        '!meeting add title="quietmarker-2208" when="2030-01-01 10:00" tz=UTC',
        "!no-such-command marker-0386",
    ):
        asked.append(await alice.say(room, command))
        await alice.reply(room, asked[-1], bot.user_id)
    assert await bot.stop() == 0

    lines = bot.log_text().splitlines()
    entries = [json.loads(line) for line in lines]  # every line parses
    assert len(entries) > 5
    for entry in entries:
        assert isinstance(entry, dict)
        assert {"time", "level", "logger", "message"} <= entry.keys(), entry
    assert any(e["level"] == "DEBUG" and e["logger"].startswith("natm_bot") for e in entries)
    assert any(e["message"].startswith("connected to ") for e in entries)
    traced = {e["message"].split()[1]: e["message"] for e in entries if e["logger"] == TRACE}
    assert sorted(traced) == sorted(asked)  # one line per command, named by its event
    for line in traced.values():
        assert [p.split("=")[0] for p in line.split()[2:]] == [*STAGES, "reply", "total"], line
    credentials = json.loads((bot.folder / "store" / "credentials.json").read_text())
    text = bot.log_text()
    for secret in (
        "zebracorn-marker-7431",
        "and-another-marker-5519",
        "quietmarker-2208",
        "marker-0386",
        credentials["access_token"],
        credentials["pickle_key"],
        bot_account[1],
    ):
        assert secret not in text
