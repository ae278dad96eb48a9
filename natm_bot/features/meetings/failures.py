"""Why an announcement did not reach a room: the codes the announcer records, in words."""

from __future__ import annotations

from natm_bot.core.i18n import N_, _

TIMED_OUT = "TIMED_OUT"
OFFLINE = "OFFLINE"
REFUSED = "REFUSED"
ERROR = "ERROR"
FAILURES = {
    "M_FORBIDDEN": N_("the bot may not post there: it was removed or banned, or lacks permission"),
    "NOT_JOINED": N_("the bot is not in that room"),
    "M_NOT_FOUND": N_("no such room"),
    "M_TOO_LARGE": N_("the message was too large"),
    TIMED_OUT: N_("the homeserver kept failing until the grace window ended"),
    OFFLINE: N_("the bot was offline until the grace window had passed"),
    REFUSED: N_("the homeserver refused it"),
    ERROR: N_("an unexpected error (see the bot's log)"),
}


def describe_failure(code: str) -> str:
    """Why an announcement did not reach a room, in words."""
    if code in FAILURES:
        return _(FAILURES[code])
    return _("the homeserver refused it ({code})").format(code=code)
