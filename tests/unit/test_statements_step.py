"""Migration step 18, statements: it comes after the onboarding step (17), keeps what a
database of step 17 holds, and lets that database's organisations endorse statements."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from natm_bot.core.clock import ManualClock
from natm_bot.storage import Database
from natm_bot.storage.events import EventLedger
from natm_bot.storage.migrations import MIGRATIONS
from natm_bot.storage.schema_onboarding import ONBOARDING_STEP
from natm_bot.storage.schema_statements import STATEMENTS_STEP
from natm_bot.storage.statements import StatementStore

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def test_statements_are_step_18_right_after_onboarding() -> None:
    assert MIGRATIONS.index(ONBOARDING_STEP) + 1 == 17
    assert MIGRATIONS.index(STATEMENTS_STEP) + 1 == 18
    assert len(MIGRATIONS) == 18


async def test_step_18_keeps_a_step_17_database_and_its_organisations_endorse(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.sqlite3"
    old = Database(path, MIGRATIONS[:17])
    await old.open()
    await old.execute("INSERT INTO state (key, value) VALUES ('sync_token', 's17')")
    await old.execute(
        "INSERT INTO organisations (name, name_key, category, country, website, description,"
        " joined) VALUES ('Kenya Community Networks', 'kenya community networks',"
        " 'civil-society', 'KE', 'https://kcn.example.org', 'A network.', '2024-05-01')"
    )
    await old.close()
    db = Database(path, MIGRATIONS)
    await db.open()
    try:
        assert await db.version() == 18
        assert await EventLedger(db, ManualClock(NOW)).sync_token() == "s17"
        store = StatementStore(db, ManualClock(NOW))
        assert await store.add("refusal", "We refuse", "en", "The original text.")
        assert await store.endorse("refusal", 1, 1, None, "@kcn:localhost") is None
        [endorsement] = await store.endorsements("refusal")
        assert (endorsement.organisation, endorsement.version, endorsement.public) == (1, 1, True)
    finally:
        await db.close()
