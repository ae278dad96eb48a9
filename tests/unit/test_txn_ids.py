"""Transaction ids stay the same across versions: a resend after an upgrade is a no-op."""

from __future__ import annotations

from natm_bot.core.jobs import AnnouncementSource
from natm_bot.core.messages import txn_id
from natm_bot.features.meetings.delivery import txn_id_for as announcement_txn_id
from natm_bot.room_events import txn_id_for
from natm_bot.storage.announcements import LedgerKey

MEETING_1 = AnnouncementSource.meeting(1)


def test_reply_ids_are_those_of_earlier_versions() -> None:
    assert txn_id("natm-", "$abc:localhost", 1) == "natm-0fa14bf13bdd95df67a52c596299a167"
    assert txn_id("natm-", "$abc:localhost", 99) == "natm-faf330c3587ab5481cf11447ad0bd784"
    assert txn_id_for("$abc:localhost", 1) == "natm-0fa14bf13bdd95df67a52c596299a167"


def test_announcement_ids_are_those_of_earlier_versions() -> None:
    key = LedgerKey(MEETING_1, 100_000, 60, "rooms")
    parts = (key.source, key.occurrence, key.offset_minutes, key.channel)
    assert (
        txn_id("natm-a-", *parts, "!room:localhost", sep="|")
        == "natm-a-f87f909b5645e13a0f1225a24300ab2f"
        == announcement_txn_id(key, "!room:localhost")
    )
    person = LedgerKey(MEETING_1, 100_000, 60, "people")
    assert (
        txn_id("natm-a-", "m:1", 100_000, 60, person.channel, "@alice:localhost", sep="|")
        == "natm-a-ecf0dc4571e410ae69487fa5c97c4600"
    )
