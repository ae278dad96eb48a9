"""Taps on native polls: poll response events (unstable and stable, decrypted or not) read
as PollAnswers, whatever their content holds; and the poll events the bot sends, shaped as
Element shapes its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from nio import Event, MatrixRoom, UnknownEvent

from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import EventId, NativePoll, PollAnswer, RoomId, UserId
from natm_bot.matrix.events import CommandReader, to_poll_answer
from natm_bot.matrix.polls import end_content, read_response, start_content

BOT = "@natm-bot:localhost"
ALICE = "@alice:localhost"
NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
UNSTABLE = "org.matrix.msc3381.poll.response"
STABLE = "m.poll.response"
POLL = "$poll-start"


def _room() -> MatrixRoom:
    room = MatrixRoom("!room:localhost", BOT)
    for user in (BOT, ALICE, "@bob:localhost"):
        room.add_member(user, None, None)
    return room


def _source(event_type: str, content: Any, *, sender: str = ALICE, at: datetime = NOW) -> Any:
    return {
        "type": event_type,
        "event_id": f"$tap-{event_type}-{int(at.timestamp())}",
        "sender": sender,
        "origin_server_ts": int(at.timestamp() * 1000),
        "content": content,
    }


def _response(event_type: str, answers: Any, poll: Any = POLL, key: str | None = None) -> Any:
    return {
        "m.relates_to": {"rel_type": "m.reference", "event_id": poll},
        key or event_type: {"answers": answers},
    }


def _tap(event_type: str, answers: Any, **kwargs: Any) -> Any:
    return Event.parse_event(_source(event_type, _response(event_type, answers), **kwargs))


def _join() -> Any:
    return Event.parse_event(
        {
            "type": "m.room.member",
            "event_id": "$join",
            "sender": BOT,
            "state_key": BOT,
            "origin_server_ts": int(NOW.timestamp() * 1000),
            "content": {"membership": "join"},
        }
    )


def test_an_unstable_and_a_stable_response_are_both_taps() -> None:
    for event_type in (UNSTABLE, STABLE):
        answer = to_poll_answer(_room(), _tap(event_type, ["a1", "a2"]), BOT)
        assert answer == PollAnswer(
            room_id=RoomId("!room:localhost"),
            sender=UserId(ALICE),
            event_id=EventId(f"$tap-{event_type}-{int(NOW.timestamp())}"),
            timestamp=NOW,
            poll_event=EventId(POLL),
            answers=("a1", "a2"),
        )


def test_a_decrypted_response_is_a_tap_as_nio_parses_it() -> None:
    source = _source(UNSTABLE, _response(UNSTABLE, ["yes"]))
    decrypted = Event.parse_decrypted_event(source)
    assert isinstance(decrypted, UnknownEvent)
    answer = to_poll_answer(_room(), decrypted, BOT)
    assert answer is not None and answer.answers == ("yes",) and answer.poll_event == POLL


def test_the_other_name_of_the_body_is_read_too() -> None:
    content = _response(STABLE, ["x"], key=UNSTABLE)  # a stable type, an unstable body
    answer = to_poll_answer(_room(), Event.parse_event(_source(STABLE, content)), BOT)
    assert answer is not None and answer.answers == ("x",)


def test_hostile_contents_are_spoiled_votes_or_ignored() -> None:
    spoiled = [
        "a1",  # not a list
        None,
        {"a": 1},
        [1, 2],  # not strings
        ["a1", None],
        ["x" * 101],  # an id longer than any answer id
        [""],
        ["\ud800"],  # a lone surrogate: no database or log takes it
        [],
    ]
    for answers in spoiled:
        answer = to_poll_answer(_room(), _tap(UNSTABLE, answers), BOT)
        assert answer is not None and answer.answers == (), answers
    many = to_poll_answer(_room(), _tap(STABLE, [f"a{n}" for n in range(500)]), BOT)
    assert many is not None and many.answers == tuple(f"a{n}" for n in range(20))
    ignored = [
        {UNSTABLE: {"answers": ["a1"]}},  # no relation: names no poll
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": POLL}},
        {"m.relates_to": {"rel_type": "m.reference", "event_id": 7}},
        {"m.relates_to": {"rel_type": "m.reference", "event_id": "$" + "x" * 300}},
        {"m.relates_to": {"rel_type": "m.reference", "event_id": "not an event"}},
        {"m.relates_to": "m.reference"},
    ]
    for content in ignored:
        event = Event.parse_event(_source(UNSTABLE, content))
        assert to_poll_answer(_room(), event, BOT) is None, content


def test_the_bot_s_own_responses_and_other_events_are_no_taps() -> None:
    assert to_poll_answer(_room(), _tap(UNSTABLE, ["a1"], sender=BOT), BOT) is None
    start = Event.parse_event(_source("org.matrix.msc3381.poll.start", {"x": 1}))
    assert to_poll_answer(_room(), start, BOT) is None


def test_a_tap_has_no_age_limit_but_only_counts_after_the_bot_joined() -> None:
    reader = CommandReader(BOT, lambda body: body.startswith("!"), ManualClock(NOW), timedelta())
    before = _tap(UNSTABLE, ["a1"], at=NOW - timedelta(days=2))
    old = _tap(STABLE, ["a2"], at=NOW - timedelta(days=1))
    found = reader.incoming_in(_room(), [before, _join(), old])
    assert [type(item) for item in found] == [PollAnswer]
    assert isinstance(found[0], PollAnswer) and found[0].answers == ("a2",)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=120),
    lambda inner: st.lists(inner, max_size=30) | st.dictionaries(st.text(max_size=40), inner),
    max_leaves=60,
)


@given(
    st.sampled_from([UNSTABLE, STABLE, "m.room.message", "org.matrix.msc3381.poll.end"]),
    JSON,
    JSON,
    st.sampled_from([UNSTABLE, STABLE]),
)
def test_any_content_gives_a_tap_of_short_ids_or_none(
    event_type: str, answers: Any, relation: Any, key: str
) -> None:
    for content in (
        answers,
        {"m.relates_to": relation, key: answers},
        {"m.relates_to": {"rel_type": "m.reference", "event_id": POLL}, key: answers},
        {"m.relates_to": {"rel_type": "m.reference", "event_id": POLL}, key: {"answers": answers}},
    ):
        read = read_response(event_type, content)
        if read is None:
            continue
        poll_event, ids = read
        assert isinstance(poll_event, str) and poll_event.startswith("$")
        assert isinstance(ids, tuple) and len(ids) <= 20
        assert all(isinstance(i, str) and 0 < len(i) <= 100 for i in ids)
        for text in (poll_event, *ids):
            text.encode()  # every one fits a database row and a log line


def test_a_poll_start_and_end_are_shaped_as_element_shapes_them() -> None:
    poll = NativePoll(
        question="Lunch?",
        answers=(("a", "Pizza"), ("b", "Soup")),
        max_selections=1,
        disclosed=False,
        fallback="Lunch?\n1. Pizza\n2. Soup",
    )
    assert start_content(poll) == {
        "org.matrix.msc3381.poll.start": {
            "question": {
                "org.matrix.msc1767.text": "Lunch?",
                "body": "Lunch?",
                "msgtype": "m.text",
            },
            "kind": "org.matrix.msc3381.poll.undisclosed",
            "max_selections": 1,
            "answers": [
                {"id": "a", "org.matrix.msc1767.text": "Pizza"},
                {"id": "b", "org.matrix.msc1767.text": "Soup"},
            ],
        },
        "org.matrix.msc1767.text": "Lunch?\n1. Pizza\n2. Soup",
        "body": "Lunch?\n1. Pizza\n2. Soup",
    }
    disclosed = start_content(NativePoll("Q", (("a", "A"),), 2, True, "Q\n1. A"))
    assert (
        disclosed["org.matrix.msc3381.poll.start"]["kind"] == "org.matrix.msc3381.poll.disclosed"
    )
    assert end_content("$start", "Pizza won") == {
        "m.relates_to": {"rel_type": "m.reference", "event_id": "$start"},
        "org.matrix.msc3381.poll.end": {},
        "org.matrix.msc1767.text": "Pizza won",
        "body": "Pizza won",
        "msgtype": "m.text",
    }
