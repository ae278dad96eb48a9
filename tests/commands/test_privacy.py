"""Privacy and safety: see and erase your data, flood limits, block-list, audit log."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.conftest import ADMIN, ALICE, BOB

CAROL = "@carol:localhost"


def _mentions(path: Path, needle: str) -> list[str]:
    """Every table row that contains `needle` anywhere."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        found = []
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                if any(needle in str(value) for value in row):
                    found.append(f"{table}: {row}")
        return found
    finally:
        conn.close()


def _bytes_in_files(database: Path, needle: bytes) -> list[str]:
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    return [f.name for f in files if f.exists() and needle in f.read_bytes()]


async def _fill_in_alice(bot: ChatHarness) -> None:
    observatory = await bot.app.groups.resolve("algo")
    await bot.app.groups.update(replace(observatory, capacity=1, coordinators=(ALICE,)))
    for group in ("algo", "edtech", "review"):
        assert "Welcome" in (await bot.send(f"!join {group}", sender=ALICE))[0].body
    await bot.send("!join algo", sender=BOB)  # Bob waits for Alice's place
    planned = await bot.ask('!meeting add title=Call when="2030-01-01 10:00" tz=UTC', sender=ADMIN)
    assert planned.startswith("Planned #1")
    assert "Noted: yes" in await bot.ask("!rsvp 1 yes remind", sender=ALICE)
    assert "now Africa/Nairobi" in await bot.ask("!tz Africa/Nairobi", sender=ALICE)
    await bot.send("!support", sender=ALICE)
    await bot.send("!group edit algo description Citizen science on algorithms", sender=ALICE)


async def test_mydata_lists_exactly_what_is_stored_by_dm_only(bot: ChatHarness) -> None:
    assert "Nothing at all." in (await bot.send("!mydata", sender=CAROL))[0].body
    await _fill_in_alice(bot)
    replies = await bot.send("!mydata", sender=ALICE)
    dm = await bot.transport.direct_room(ALICE)  # type: ignore[arg-type]
    [report] = [r for r in replies if r.room_id == dm]
    assert [r.body for r in replies if r.room_id == LOBBY] == [
        "I've answered you in a direct message."
    ]
    body = report.body
    for expected in (
        "Algorithm Observatory: member since",
        "Non-Aligned Ed Tech: member since",
        "Technology Review Boards: member since",
        "You coordinate: Algorithm Observatory",
        "#1 Call on 1 Jan 2030, 10:00 UTC: yes (with a reminder by direct message)",
        "Your time zone: Africa/Nairobi",
        "You declared your support",
        "Audit log entries naming you: 1",
    ):
        assert expected in body, (expected, body)
    assert "waitlist" not in body and "applications" not in body


async def test_forgetme_confirms_then_erases_every_trace(tmp_path: Path) -> None:
    config = make_config(tmp_path, admins=[ADMIN])
    database = config.resolve(config.paths.database)
    async with ChatHarness(config) as bot:
        await _fill_in_alice(bot)
        supporters = await bot.ask("!supporters")
        first = await bot.send("!forgetme", sender=ALICE)
        assert "send !forgetme confirm within 10 minutes" in first[0].body
        assert _mentions(database, ALICE)  # nothing erased yet
        done = await bot.send("!forgetme confirm", sender=ALICE)
        assert done[0].body.startswith("Done: I have erased everything")
        bob_dm = await bot.transport.direct_room(BOB)  # type: ignore[arg-type]
        assert any(r.room_id == bob_dm and "Good news" in r.body for r in done)
        assert _mentions(database, ALICE) == []
        assert _bytes_in_files(database, ALICE.encode()) == []
        assert await bot.ask("!supporters") == supporters  # the count stays, anonymously
        assert "Nothing at all." in (await bot.send("!mydata", sender=ALICE))[0].body
    assert _bytes_in_files(database, ALICE.encode()) == []


async def test_forgetme_confirm_without_asking_first_only_asks(bot: ChatHarness) -> None:
    await bot.send("!tz Europe/Paris", sender=ALICE)
    replies = await bot.send("!forgetme confirm", sender=ALICE)
    assert "within 10 minutes" in replies[0].body
    assert await bot.ask("!tz", sender=ALICE) == "Your time zone is Europe/Paris."
    await bot.send("!forgetme", sender=ALICE)
    bot.clock.advance(timedelta(minutes=11))
    replies = await bot.send("!forgetme confirm", sender=ALICE)
    assert "within 10 minutes" in replies[0].body  # too late: asked again
    assert await bot.ask("!tz", sender=ALICE) == "Your time zone is Europe/Paris."


async def test_an_unconfirmed_forgetme_is_not_remembered_for_months(bot: ChatHarness) -> None:
    for day in range(30):  # someone asks every day and never confirms; others ask too
        await bot.send("!forgetme", sender=f"@person{day}:localhost")
        bot.clock.advance(timedelta(days=1))
    await bot.send("!forgetme", sender=ALICE)
    assert list(bot.app.privacy._confirming) == [ALICE]  # no id of the others stays in memory


async def test_commands_typed_calmly_while_the_bot_was_away_are_all_answered(
    tmp_path: Path,
) -> None:
    async with ChatHarness(make_config(tmp_path, rate_limited=True)) as bot:
        back = bot.clock.now()
        typed = [back - timedelta(minutes=30 - n) for n in range(25)]  # one a minute
        replies = [await bot.send("!principles 1", sender=ALICE, typed_at=t) for t in typed]
        assert all(r and "Data extraction" in r[0].body for r in replies), replies
        flood = [await bot.send("!principles 2", sender=BOB, typed_at=back) for _ in range(12)]
        assert sum("slow down" in r[0].body for r in flood if r) == 1  # a real flood still is


async def test_a_flood_gets_one_slow_down_and_others_are_still_answered(tmp_path: Path) -> None:
    async with ChatHarness(make_config(tmp_path, rate_limited=True)) as bot:
        await _flood(bot)


async def _flood(bot: ChatHarness) -> None:
    answers, notices = 0, 0
    for n in range(100):
        bot.clock.advance(timedelta(milliseconds=100))
        for reply in await bot.send(f"!principles {n % 5 + 1}", sender=ALICE):
            if "slow down" in reply.body:
                notices += 1
            else:
                answers += 1
        if n == 50:
            assert "Data extraction" in await bot.ask("!principles 1", sender=BOB)
    assert notices == 1
    assert 10 <= answers <= 20  # the burst, then about 30 a minute for 10 seconds
    bot.clock.advance(timedelta(minutes=1))
    assert "Data extraction" in await bot.ask("!principles 1", sender=ALICE)


async def test_blocked_people_and_servers_are_ignored(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    safety = config.safety.model_copy(
        update={"blocked_users": [ALICE], "blocked_servers": ["spam.example"]}
    )
    async with ChatHarness(config.model_copy(update={"safety": safety})) as bot:
        assert await bot.send("!principles", sender=ALICE) == []
        assert await bot.send("!join algo", sender="@x:spam.example") == []
        assert "Data extraction" in await bot.ask("!principles", sender=BOB)
        assert await bot.app.groups.signups() == []


async def test_admin_commands_only_in_dm_when_configured(tmp_path: Path) -> None:
    config = make_config(tmp_path, admins=[ADMIN])
    safety = config.safety.model_copy(update={"admin_commands_only_in_dm": True})
    async with ChatHarness(config.model_copy(update={"safety": safety})) as bot:
        refused = await bot.ask('!group create "Night Owls"', sender=ADMIN)
        assert refused == "Admin commands work only in a direct message with me."
        dm = await bot.transport.direct_room(ADMIN)  # type: ignore[arg-type]
        made = await bot.ask('!group create "Night Owls"', sender=ADMIN, room=dm, is_direct=True)
        assert made.startswith("Created Night Owls")


async def test_every_privileged_action_leaves_exactly_one_audit_record(bot: ChatHarness) -> None:
    await bot.send("!join algo", sender=ALICE)
    actions = [
        '!group create "Night Owls" Late-night hacking',
        "!group addcoord night @bob:localhost",
        "!group edit night capacity 3",
        "!group close night",
        "!group reopen night",
        "!group members algo",
        "!group export algo",
        "!group remove algo @alice:localhost",
        '!meeting add title=Call when="2030-01-01 10:00" tz=UTC',
        "!meeting cancel 1",
        "!group rmcoord night @bob:localhost",
    ]
    for action in actions:
        replies = await bot.send(action, sender=ADMIN)
        assert not replies[0].body.startswith(("Sorry", "There is no")), (action, replies[0].body)
        assert "Usage:" not in replies[0].body, (action, replies[0].body)
    await bot.send("!group close algo", sender=BOB)  # refused: no record
    await bot.send("!principles", sender=ADMIN)  # not privileged: no record
    rows = await bot.app.db.fetchall("SELECT actor, command, detail FROM audit_log ORDER BY id")
    assert len(rows) == len(actions)
    assert [r[1] for r in rows][:3] == ["group create", "group addcoord", "group edit"]
    assert all(r[0] == ADMIN for r in rows)
    listing = await bot.send("!audit 5", sender=ADMIN)
    dm = await bot.transport.direct_room(ADMIN)  # type: ignore[arg-type]
    [shown] = [r for r in listing if r.room_id == dm]
    assert "!group rmcoord night @bob:localhost" in shown.body
    assert len(await bot.app.db.fetchall("SELECT id FROM audit_log")) == len(actions)


async def test_old_records_are_pruned_after_the_retention(bot: ChatHarness) -> None:
    import time

    old = int(time.time()) - bot.app.config.privacy.retention - 60
    new = int(time.time())
    await bot.app.db.executemany(
        "INSERT INTO processed_events (event_id, room_id, handled_at) VALUES (?, '!r', ?)",
        [("$old", old), ("$new", new)],
    )
    await bot.app.db.executemany(
        "INSERT INTO announcements (source, occurrence, offset_minutes, channel, status,"
        " recorded_at) VALUES ('m:1', ?, 0, 'rooms', 'sent', ?)",
        [(1, old), (2, new)],
    )
    assert await bot.app.jobs.run("privacy-prune")
    events = [r[0] for r in await bot.app.db.fetchall("SELECT event_id FROM processed_events")]
    ledger = [r[0] for r in await bot.app.db.fetchall("SELECT occurrence FROM announcements")]
    assert events == ["$new"] and ledger == [2]
