"""What announcements say in the rooms, and how the log names them."""

from __future__ import annotations

from collections.abc import Mapping

from natm_bot.calendar.timeutil import span_text
from natm_bot.engine.rendering import md_escape, md_link
from natm_bot.features.meetings.streams import Due
from natm_bot.storage.meetings import Meeting

LATE = "_(Late: I was offline when this was due.)_ "


def late_prefix(late: bool) -> str:
    """The note before an announcement sent after its time."""
    return LATE if late else ""


def starting(meeting: Meeting) -> str:
    """The announcement at the start, with the link."""
    return f"📣 {_title(meeting)} is starting now!{_link(meeting)}"


def reminder(
    meeting: Meeting, offset: int, when: str, counts: Mapping[str, int], prefix: str
) -> str:
    """The announcement `offset` minutes before: when (in every zone), who is coming."""
    going = f" · {counts['yes']} going, {counts['maybe']} maybe" if any(counts.values()) else ""
    rsvp = f"`{prefix}rsvp {meeting.id} yes`"
    return (
        f"⏰ {_title(meeting)} starts in {span_text(offset)}: {when}.{_link(meeting)}"
        f"\n\nComing? {rsvp}{going}"
    )


def what(due: Due) -> str:
    """What an announcement is about, for the log."""
    kind, _, name = due.source.partition(":")
    return f"meeting #{name}" if kind == "m" else f"announcement {name!r}"


def offset_text(offset: int) -> str:
    """`at the start` or `1 hour before`."""
    return "at the start" if offset == 0 else f"{span_text(offset)} before"


def _title(meeting: Meeting) -> str:
    return f"**{md_escape(meeting.title)}**"


def _link(meeting: Meeting) -> str:
    return f" Join: {md_link(meeting.link)}" if meeting.link else ""
