"""Outside chat replies too, a bot whose prefix is `?` says `?`: the console's greeting and
help, and the public page's "type … to join" lines."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from natm_bot.app import App
from natm_bot.config.http import HttpSection
from natm_bot.core.clock import ManualClock
from natm_bot.frontends.console import Console, ConsoleTransport
from natm_bot.frontends.serving import public_site
from natm_bot.testing.harness import ChatHarness, make_config
from natm_bot.web.health import Readiness
from natm_bot.web.listener import Listener
from natm_bot.web.metrics import Metrics
from tests.public_site import START
from tests.unit.test_catalogues import _command_names, written_prefixes
from tests.unit.test_public_site import PAGES, _get


async def test_the_console_greets_with_the_configured_prefix(tmp_path: Path) -> None:
    out = io.StringIO()
    transport = ConsoleTransport(out)
    app = App(make_config(tmp_path, prefix="?"), transport, clock=ManualClock(START))
    await app.start()
    try:
        console = Console(app, transport, out)
        await console.greet()
        await console.meta("/help")
        await console.chat("?nothing-like-a-command")
    finally:
        await app.close()
    said = out.getvalue()
    assert "Type ?help for the bot's commands" in said
    assert "e.g. ?help" in said and "Type ?help to see what I can do" in said
    assert written_prefixes(said, _command_names()) == []


async def test_the_public_page_names_commands_with_the_configured_prefix(tmp_path: Path) -> None:
    config = make_config(tmp_path, prefix="?")
    http = HttpSection(listen="127.0.0.1:0", public=True, public_rooms=["#natm:example.org"])
    config = config.model_copy(update={"http": http})
    async with ChatHarness(config, ManualClock(START)) as bot:
        metrics = Metrics()

        async def writable() -> str | None:
            return None

        listener = Listener(http, metrics, Readiness(metrics, writable, 60), public_site(bot.app))
        await listener.start()
        try:
            pages = {}
            for path in (*PAGES, "/fr", "/es/groups", "/pt/members"):
                pages[path] = (await asyncio.to_thread(_get, listener.urls[0] + path))[2]
        finally:
            await listener.stop()
    names = _command_names()
    assert [(path, written_prefixes(html, names)) for path, html in pages.items()] == [
        (path, []) for path in pages
    ]
    assert "?help" in pages["/"] and "?join ed-tech" in pages["/groups"]
    assert "?members apply" in pages["/members"]
