"""Sign-ups as a file: the one CSV (and JSON) form that chat and the command line both give."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from natm_bot.core.text import write_csv
from natm_bot.storage.groups import Signup

SIGNUP_COLUMNS = ("group", "user_id", "status", "waitlist_position", "joined_at")


def signup_row(signup: Signup) -> dict[str, object]:
    """One sign-up as a row of an export, in the order of SIGNUP_COLUMNS."""
    return {
        "group": signup.group_id,
        "user_id": signup.user_id,
        "status": "waiting" if signup.waiting else "member",
        "waitlist_position": signup.position,
        "joined_at": signup.joined_at.isoformat(),
    }


def write_signups_csv(out: TextIO, signups: Sequence[Signup]) -> None:
    """The sign-ups as CSV, one row each, formula-safe for spreadsheets."""
    write_csv(out, SIGNUP_COLUMNS, (signup_row(s).values() for s in signups))
