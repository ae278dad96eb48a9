"""The statements on the public page: `/statements/<id>` in a real headless Chromium shows
the public endorsing organisation and hides the private one; `/statements.atom` parses as
Atom and agrees with the page's data."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.request import urlopen

import pytest

from natm_bot.config.statements import StatementsSection
from natm_bot.features.meetings.ical import calendar_domain
from tests.commands.test_members import ORGS, _import
from tests.conftest import ADMIN
from tests.integration.test_public_browser import _browser
from tests.public_site import served

pytestmark = pytest.mark.slow
A = "{http://www.w3.org/2005/Atom}"


def _read(url: str) -> tuple[str, bytes]:
    """The visible text of a page in Chromium, and the feed's bytes."""
    from selenium.webdriver.common.by import By

    driver = _browser()
    try:
        driver.get(url + "/statements/refusal")
        page = driver.find_element(By.TAG_NAME, "main").text
    finally:
        driver.quit()
    with urlopen(url + "/statements.atom", timeout=10) as response:
        return page, response.read()


async def test_the_statement_page_in_a_browser_and_its_atom_feed(tmp_path: Path) -> None:
    async with served(tmp_path / "bot", statements=StatementsSection(milestones=[2])) as site:
        bot = site.bot
        await _import(bot, ORGS[:3])
        for name, user in ((ORGS[0], "@kcn:localhost"), (ORGS[2], "@bogota:localhost")):
            org = await bot.app.members.exactly(name["name"])
            assert org is not None
            await bot.app.members.add_delegate(org, user)
        add = '!statement add id=refusal title="We <refuse> & resist" text="No extraction."'
        await bot.send(add, sender=ADMIN)
        await bot.send("!endorse refusal", sender="@kcn:localhost")
        await bot.send("!endorse refusal private", sender="@bogota:localhost")
        await bot.send("!support refusal", sender="@someone:localhost")
        page, feed = await asyncio.to_thread(_read, site.url)
        statement = (await bot.app.statements.all())[0]
    assert "We <refuse> & resist" in page and "No extraction." in page
    assert "Kenya Community Networks" in page and "Kenya · Civil-society" in page
    assert "Bogotá" not in page and "and 1 organisation that asked not to be named" in page
    assert "Supporters: 1" in page and "@" not in page
    root = ET.fromstring(feed)
    assert root.tag == f"{A}feed"
    tag = f"tag:{calendar_domain(bot.app.config)},2026:"
    assert root.findtext(f"{A}id") == tag + "statements"
    assert root.findtext(f"{A}title") and root.findtext(f"{A}updated")
    assert root.findtext(f"{A}author/{A}name") == bot.app.content.about.name
    entries = root.findall(f"{A}entry")
    for entry in entries:
        for part in ("id", "title", "updated"):
            assert entry.findtext(f"{A}{part}"), part
        link = entry.find(f"{A}link")
        assert link is not None and link.get("href", "").endswith("/statements/refusal")
    titles = sorted(e.findtext(f"{A}title") or "" for e in entries)
    assert titles == [
        "New statement: We <refuse> & resist",
        "We <refuse> & resist: 2 member organisations endorse it",
    ]
    ids = sorted(e.findtext(f"{A}id") or "" for e in entries)
    assert ids == [
        tag + "statement/refusal/milestone/2",
        tag + "statement/refusal/v1",
    ]
    assert {e.findtext(f"{A}updated") for e in entries} == {statement.created_at.isoformat()}
