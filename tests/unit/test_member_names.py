"""Organisation names are compared as every other name the bot reads (`core.text.name_key`):
accents, case, width and hyphens aside; names stored under an older folding are brought in
step when the bot starts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from natm_bot.core.text import name_key
from natm_bot.storage.members import OrgInfo
from natm_bot.testing.harness import ChatHarness, make_config
from tests.conftest import ADMIN

TODAY = date(2027, 3, 1)


def _org(name: str) -> OrgInfo:
    return OrgInfo(name, "collective", "KE", "https://example.org", "A lab.")


async def test_a_name_with_accents_or_hyphens_is_the_same_organisation(tmp_path: Path) -> None:
    async with ChatHarness(make_config(tmp_path, admins=[ADMIN])) as bot:
        store = bot.app.members.store
        before = await store.count()
        assert await store.upsert([(_org("Café-Lab Nairobi"), None)], TODAY) == 1
        assert await store.upsert([(_org("cafe lab  NAIROBI"), None)], TODAY) == 0
        assert await store.count() == before + 1
        found = await store.named("Cafe_Lab Nairobi")
        assert found is not None and found.info.name == "cafe lab  NAIROBI"
        assert await store.name_used("CAFÉ LAB NAIROBI") == "listed"


async def test_names_stored_under_an_older_folding_are_refolded_at_start(tmp_path: Path) -> None:
    config = make_config(tmp_path, admins=[ADMIN])
    async with ChatHarness(config) as bot:
        await bot.app.members.store.upsert([(_org("Rede Ñandú-Sur"), None)], TODAY)
        # as a bot that folded only case and width wrote it
        await bot.app.db.execute(
            "UPDATE organisations SET name_key = ? WHERE name = ?",
            ("rede ñandú-sur", "Rede Ñandú-Sur"),
        )
        assert await bot.app.members.store.named("rede nandu sur") is None
    async with ChatHarness(config) as bot:
        found = await bot.app.members.store.named("rede nandu sur")
        assert found is not None and found.info.name == "Rede Ñandú-Sur"
        assert name_key(found.info.name) == "rede nandu sur"
        assert await bot.app.members.store.refold_names() == 0
