"""Native Matrix polls (MSC3381) as Element sends and reads them: the content of a poll
start and a poll end, and the answers read from a poll response.

Element sends the unstable event types (`org.matrix.msc3381.poll.*`, text as
`org.matrix.msc1767.text`) and reads both these and the stable `m.poll.*` ones; so does
the bot. Response contents come from anyone in the room: nothing in them is trusted."""

from __future__ import annotations

from typing import Any

from natm_bot.core.messages import NativePoll

POLL_START = "org.matrix.msc3381.poll.start"
POLL_END = "org.matrix.msc3381.poll.end"
POLL_RESPONSE = "org.matrix.msc3381.poll.response"
STABLE_POLL_RESPONSE = "m.poll.response"
RESPONSE_TYPES = frozenset({POLL_RESPONSE, STABLE_POLL_RESPONSE})
TEXT = "org.matrix.msc1767.text"
DISCLOSED = "org.matrix.msc3381.poll.disclosed"
UNDISCLOSED = "org.matrix.msc3381.poll.undisclosed"
REFERENCE = "m.reference"

MAX_ANSWERS = 20  # Element shows at most 20 answers; a response naming more is cut there
MAX_ANSWER_ID = 100  # characters of an answer id read from a response
MAX_EVENT_ID = 255  # characters of an event id (the Matrix spec bounds it at 255 bytes)


def _text(text: str) -> dict[str, Any]:
    """A question as Element serialises it: extensible text, with a plain message body."""
    return {TEXT: text, "body": text, "msgtype": "m.text"}


def start_content(poll: NativePoll) -> dict[str, Any]:
    """The content of an `org.matrix.msc3381.poll.start` event for the poll."""
    return {
        POLL_START: {
            "question": _text(poll.question),
            "kind": DISCLOSED if poll.disclosed else UNDISCLOSED,
            "max_selections": poll.max_selections,
            "answers": [{"id": answer_id, TEXT: text} for answer_id, text in poll.answers],
        },
        TEXT: poll.fallback,
        "body": poll.fallback,
    }


def end_content(poll_event: str, text: str) -> dict[str, Any]:
    """The content of an `org.matrix.msc3381.poll.end` event closing `poll_event`, the
    outcome as its text."""
    return {
        "m.relates_to": {"rel_type": REFERENCE, "event_id": poll_event},
        POLL_END: {},
        **_text(text),
    }


def _short(value: object, limit: int) -> bool:
    """Whether `value` is a non-empty string of at most `limit` characters that UTF-8 can
    hold (JSON can carry lone surrogates, which no database or log line takes)."""
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _answers(response: object) -> tuple[str, ...]:
    """The answer ids of a response's body; () for a spoiled one (not a list, or anything
    in it not a short string)."""
    answers = response.get("answers") if isinstance(response, dict) else None
    if not isinstance(answers, list):
        return ()
    if not all(_short(answer, MAX_ANSWER_ID) for answer in answers):
        return ()
    return tuple(answers[:MAX_ANSWERS])


def read_response(event_type: str, content: object) -> tuple[str, tuple[str, ...]] | None:
    """The poll start event a response answers and the answer ids chosen; None when the
    event is no poll response or names no poll (no `m.reference` relation)."""
    if event_type not in RESPONSE_TYPES or not isinstance(content, dict):
        return None
    related = content.get("m.relates_to")
    if not isinstance(related, dict) or related.get("rel_type") != REFERENCE:
        return None
    poll_event = related.get("event_id")
    if not _short(poll_event, MAX_EVENT_ID) or not str(poll_event).startswith("$"):
        return None
    other = STABLE_POLL_RESPONSE if event_type == POLL_RESPONSE else POLL_RESPONSE
    response = content.get(event_type, content.get(other))
    return str(poll_event), _answers(response)
