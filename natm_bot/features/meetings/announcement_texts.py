"""What announcements say in the rooms, and how the log names them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from natm_bot.calendar.timeutil import span_text
from natm_bot.core.i18n import N_, _
from natm_bot.engine.rendering import md_escape, md_link
from natm_bot.features.meetings.streams import Due
from natm_bot.storage.meetings import Meeting

LATE = N_("_(Late: I was offline when this was due.)_")


def late_prefix(late: bool) -> str:
    """The note before an announcement sent after its time."""
    return _(LATE) + " " if late else ""


def starting(
    meeting: Meeting, counts: Mapping[str, int], agenda: Sequence[str], prefix: str
) -> str:
    """The announcement at the start: the link, who said they come, the agenda, and how to
    take the minutes."""
    lines = ["📣 " + _("{title} is starting now!").format(title=_title(meeting)) + _link(meeting)]
    if any(counts.values()):
        said = _("Answers: {yes} yes, {maybe} maybe, {no} no.")
        lines.append(said.format(yes=counts["yes"], maybe=counts["maybe"], no=counts["no"]))
    if agenda:
        lines += ["", _("Agenda:"), *(f"{n}. {md_escape(t)}" for n, t in enumerate(agenda, 1))]
    hint = _(
        "Minutes are being taken: start a line with `#topic`, `#info`, `#agreed`, "
        "`#action @who due 2027-01-20 …` or `#undo`; `{end}` ends the meeting."
    )
    lines += ["", hint.format(end=f"{prefix}endmeeting {meeting.id}")]
    return "\n".join(lines)


def reminder(
    meeting: Meeting, offset: int, when: str, counts: Mapping[str, int], prefix: str
) -> str:
    """The announcement `offset` minutes before: when (in every zone), who is coming."""
    going = ""
    if any(counts.values()):
        going = " · " + _("{yes} going, {maybe} maybe").format(
            yes=counts["yes"], maybe=counts["maybe"]
        )
    rsvp = f"`{prefix}rsvp {meeting.id} yes`"
    starts = _("{title} starts in {span}: {when}.").format(
        title=_title(meeting), span=span_text(offset), when=when
    )
    coming = _("Coming? {rsvp}").format(rsvp=rsvp)
    return f"⏰ {starts}{_link(meeting)}\n\n{coming}{going}"


def react_hint() -> str:
    """The line under an announcement in a room: answering by reacting to it."""
    return _("React ✅ ❔ ❌ to answer (yes, maybe, no).")


def what(due: Due) -> str:
    """What an announcement is about, for the log."""
    number = due.source.meeting_id
    return f"meeting #{number}" if number is not None else f"announcement {due.source.id!r}"


def offset_text(offset: int) -> str:
    """`at the start` or `1 hour before`."""
    if offset == 0:
        return _("at the start")
    return _("{span} before").format(span=span_text(offset))


def _title(meeting: Meeting) -> str:
    return f"**{md_escape(meeting.title)}**"


def _link(meeting: Meeting) -> str:
    return " " + _("Join: {link}").format(link=md_link(meeting.link)) if meeting.link else ""
