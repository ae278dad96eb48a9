"""Why an announcement did not reach a room: the codes the announcer records, in words."""

from __future__ import annotations

TIMED_OUT = "TIMED_OUT"
OFFLINE = "OFFLINE"
REFUSED = "REFUSED"
ERROR = "ERROR"
FAILURES = {
    "M_FORBIDDEN": "the bot may not post there: it was removed or banned, or lacks permission",
    "NOT_JOINED": "the bot is not in that room",
    "M_NOT_FOUND": "no such room",
    "M_TOO_LARGE": "the message was too large",
    TIMED_OUT: "the homeserver kept failing until the grace window ended",
    OFFLINE: "the bot was offline until the grace window had passed",
    REFUSED: "the homeserver refused it",
    ERROR: "an unexpected error (see the bot's log)",
}


def describe_failure(code: str) -> str:
    """Why an announcement did not reach a room, in words."""
    return FAILURES.get(code, f"the homeserver refused it ({code})")
