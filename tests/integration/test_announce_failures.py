"""A room that fails (the bot was kicked, or its sends get 500 for minutes) holds up no other
room: the others get the announcement on time, and the failed room is recorded and shown."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web
from nio import RoomKickResponse

from natm_bot.testing.devserver import LocalSynapse
from tests.integration.conftest import BotFactory
from tests.integration.people import Person
from tests.integration.proxy import CountingProxy, Hit

People = Callable[[str], Awaitable[Person]]


class SickRoomProxy(CountingProxy):
    """Forwards everything, except that a message sent into a room in `sick` gets the answer
    Synapse gives on an internal error (500 M_UNKNOWN)."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.sick: set[str] = set()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        path = urllib.parse.unquote(request.path)
        if not any(f"/rooms/{room}/send/" in path for room in self.sick):
            return await super()._forward(request)
        self.hits.append(Hit(time.monotonic(), request.method, path, 500))
        error = {"errcode": "M_UNKNOWN", "error": "Internal server error"}
        return web.json_response(error, status=500)


def _announcements(person: Person, room: str, bot: str) -> list[dict[str, object]]:
    return [
        e.source
        for e in person.events[room]
        if e.sender == bot and "is starting now" in e.source.get("content", {}).get("body", "")
    ]


def _delay(event: dict[str, object], due: datetime) -> float:
    sent_at = datetime.fromtimestamp(int(str(event["origin_server_ts"])) / 1000, UTC)
    return (sent_at - due).total_seconds()


async def test_a_kicked_room_is_recorded_failed_and_the_other_gets_it_on_time(
    people: People, make_bot: BotFactory
) -> None:
    organiser = await people("organiser")
    bot = make_bot(admins=(organiser.mxid,))
    await bot.start()
    kicked = await organiser.create_room([bot.user_id], encrypted=True, name="kicked")
    kept = await organiser.create_room([bot.user_id], encrypted=True, name="kept")
    await organiser.wait_joined(kicked, bot.user_id)
    await organiser.wait_joined(kept, bot.user_id)
    due = (datetime.now(UTC) + timedelta(seconds=15)).replace(microsecond=0)
    plan = (
        f'!meeting add title="Two rooms" when="{due:%Y-%m-%d %H:%M:%S}" tz=UTC reminders=0'
        f" rooms={kicked},{kept}"
    )
    answer = await organiser.ask(kept, plan, bot.user_id)
    assert answer.source["content"]["body"].startswith("Planned #1 Two rooms"), answer.source
    kick = await organiser.client.room_kick(kicked, bot.user_id, reason="testing")
    assert isinstance(kick, RoomKickResponse), kick
    await organiser.wait_for(
        lambda: bot.user_id not in organiser.client.rooms[kicked].users, "the kick"
    )

    [event] = await organiser.wait_for(
        lambda: _announcements(organiser, kept, bot.user_id), "the announcement", timeout=45
    )
    assert 0 <= _delay(event, due) <= 3, f"announced {_delay(event, due):.3f}s after its time"

    await bot.wait_log(
        f"announcement of meeting #1 for {due.isoformat()} (at the start) failed in {kicked}:"
        " the bot may not post there"
    )
    report = await organiser.ask(kept, "!meeting 1", bot.user_id)
    body = report.source["content"]["body"]
    [line] = [line for line in body.splitlines() if "at the start:" in line]
    assert f"failed in {kicked} (the bot may not post there: it was removed" in line, body
    assert f"sent in {kept}" in line, body


async def test_a_room_answering_500_holds_up_no_other_room_and_fails_after_the_grace(
    people: People, make_bot: BotFactory, synapse: LocalSynapse
) -> None:
    with SickRoomProxy(synapse.url) as proxy:
        organiser = await people("organiser")
        grace = {"meetings": {"grace": "10s"}}
        bot = make_bot(admins=(organiser.mxid,), homeserver=proxy.url, sections=grace)
        await bot.start()
        sick = await organiser.create_room([bot.user_id], encrypted=True, name="sick")
        well = await organiser.create_room([bot.user_id], encrypted=True, name="well")
        await organiser.wait_joined(sick, bot.user_id)
        await organiser.wait_joined(well, bot.user_id)
        due = (datetime.now(UTC) + timedelta(seconds=12)).replace(microsecond=0)
        plan = (
            f'!meeting add title="Two rooms" when="{due:%Y-%m-%d %H:%M:%S}" tz=UTC reminders=0'
            f" rooms={sick},{well}"
        )
        answer = await organiser.ask(well, plan, bot.user_id)
        assert answer.source["content"]["body"].startswith("Planned #1"), answer.source
        proxy.sick.add(sick)

        [event] = await organiser.wait_for(
            lambda: _announcements(organiser, well, bot.user_id), "the announcement", timeout=45
        )
        assert 0 <= _delay(event, due) <= 3, f"announced {_delay(event, due):.3f}s late"
        await bot.wait_log(
            f"failed in {sick}: the homeserver kept failing until the grace window ended"
        )
        refused = [hit.path for hit in proxy.hits if hit.status == 500]
        assert len(refused) >= 3 and len(set(refused)) == 1, refused  # retried, same txn id
        report = await organiser.ask(well, "!meeting 1", bot.user_id)
        body = report.source["content"]["body"]
        assert f"failed in {sick} (the homeserver kept failing until the grace" in body, body
        assert f"sent in {well}" in body, body
        assert _announcements(organiser, sick, bot.user_id) == []
