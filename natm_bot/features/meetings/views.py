"""How meetings read in chat: their heading, their times in every zone, their rooms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from natm_bot.calendar.timeutil import clock_in, full_time, place, relative, zone
from natm_bot.core.i18n import _
from natm_bot.engine.rendering import md_escape
from natm_bot.storage.meetings import Meeting


def heading(meeting: Meeting) -> str:
    """`#3 **Weekly call**`."""
    return f"#{meeting.id} **{md_escape(meeting.title)}**"


def times(
    moment: datetime,
    meeting_tz: str,
    asker_tz: str | None,
    *,
    display_zones: Sequence[str],
    now: datetime,
) -> str:
    """The start in the meeting's zone, UTC, the display zones and the asker's zone."""
    day = moment.astimezone(zone(meeting_tz)).date()
    shown = [full_time(moment, meeting_tz), f"{clock_in(moment, 'UTC', day)} UTC"]
    for tz in display_zones:
        if tz not in (meeting_tz, "UTC"):
            shown.append(f"{clock_in(moment, tz, day)} {place(tz)}")
    if asker_tz and asker_tz not in (meeting_tz, "UTC"):
        yours = _("yours ({place}): {time}")
        shown.append(yours.format(place=place(asker_tz), time=clock_in(moment, asker_tz, day)))
    return " · ".join(shown) + f" · {relative(moment, now)}"


def rooms_text(rooms: Sequence[str]) -> str:
    """Rooms for display."""
    return ", ".join(md_escape(r) for r in rooms) or _("none")
