"""Every command explains itself: a one-line summary and an example, from the registry."""

from __future__ import annotations

import re

from natm_bot.engine.registry import CommandSpec
from natm_bot.features.meetings.planning import FIELDS
from natm_bot.testing.harness import ChatHarness
from tests.conftest import ADMIN


def _example(spec: CommandSpec) -> str | None:
    """An invocation with real values (`!join algo`, not `!join <group>`) in the help text;
    for a command that needs no arguments, its usage line is one."""
    if not any(p.required for p in spec.params):
        return spec.usage("!")
    text = f"{spec.help_summary('!')}\n{spec.help_details('!')}"
    for name in (spec.name, *spec.aliases):
        found = re.search(rf"!{re.escape(name)} +[^\s`<\[…|]", text)
        if found:
            return found.group(0)
    return None


async def test_every_command_has_a_summary_and_an_example(bot: ChatHarness) -> None:
    commands = bot.app.registry.commands
    assert len(commands) > 30
    assert [s.name for s in commands if not s.summary or _example(s) is None] == []


async def test_help_shows_each_commands_summary_and_example(bot: ChatHarness) -> None:
    for spec in bot.app.registry.commands:
        body = await bot.ask(f"!help {spec.name}", sender=ADMIN, is_direct=True)
        example = _example(spec)
        summary = spec.help_summary("!")
        assert example is not None and summary.split("`")[0].strip() in body, body
        assert " ".join(example.split()).split("`")[0] in " ".join(body.split()), body


async def test_help_meeting_add_documents_every_field(bot: ChatHarness) -> None:
    body = await bot.ask("!help meeting add", sender=ADMIN)
    for field in FIELDS:
        assert re.search(rf"\b{field}\b", body), (field, body)
    for form in ("weekly", "every 2 weeks", "monthly", "first tuesday", "daily", "FREQ="):
        assert form in body, (form, body)
    assert "at most once a day" in body
    assert 'Example: !meeting add title="' in body
