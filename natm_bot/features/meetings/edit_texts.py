"""What an edit of a meeting tells its organiser, and the people whose answer it dropped."""

from __future__ import annotations

from datetime import UTC, datetime

from natm_bot.calendar.timeutil import full_time
from natm_bot.core.i18n import _, ngettext
from natm_bot.features.meetings.changes import Edit, by_occurrence
from natm_bot.features.meetings.views import heading
from natm_bot.storage.meetings import Answered, Meeting


def edit_summary(before: Meeting, edit: Edit) -> str:
    """What an edit tells the organiser: what it kept and dropped, or what it would drop."""
    title = heading(edit.meeting)
    gone = [
        _("the cancellation of {date}").format(date=_on(before, k)) for k in edit.carry.lost_dates
    ]
    gone += [
        _("{answers} for {date}").format(answers=_answers(group), date=_on(before, k))
        for k, group in by_occurrence(edit.lost).items()
    ]
    if not edit.saved:
        listed = "\n".join(f"- {item}" for item in gone)
        return _(
            "Changed like that, {meeting} would no longer take place on some days that "
            "were cancelled or answered for, and this would be dropped:\n\n{listed}\n\n"
            "Nothing was changed. To change it anyway, send the same command again with "
            "`confirm` at the end; people whose answer is dropped will be told."
        ).format(meeting=title, listed=listed)
    carry = edit.carry
    dates = ngettext("{count} cancelled date", "{count} cancelled dates", carry.kept_dates)
    kept = [
        dates.format(count=carry.kept_dates) if carry.kept_dates else "",
        _count_answers(carry.kept_answers) if carry.kept_answers else "",
    ]
    text = _("Updated {meeting}.").format(meeting=title)
    if all(kept):
        both = _("{first} and {second}").format(first=kept[0], second=kept[1])
        text += " " + _("Kept with their days: {what}.").format(what=both)
    elif any(kept):
        text += " " + _("Kept with their days: {what}.").format(what="".join(kept))
    if gone:
        text += " " + _("Dropped: {what}.").format(what="; ".join(gone))
    return text


def _on(meeting: Meeting, key: int) -> str:
    """An occurrence as it was announced: in the meeting's zone before the edit."""
    return full_time(datetime.fromtimestamp(key, UTC), meeting.timezone)


def dropped_notice(before: Meeting, key: int, prefix: str) -> str:
    """What someone whose answer an edit dropped is told."""
    return _(
        "Meeting {meeting} was changed and no longer takes place on {date}, so your answer "
        "for that day was removed. `{details}` shows its dates; `{rsvp}` answers for the "
        "next one."
    ).format(
        meeting=heading(before),
        date=_on(before, key),
        details=f"{prefix}meeting {before.id}",
        rsvp=f"{prefix}rsvp {before.id} yes",
    )


def _count_answers(number: int) -> str:
    return ngettext("{count} answer", "{count} answers", number).format(count=number)


def _answers(answers: list[Answered]) -> str:
    reminders = sum(1 for a in answers if a.remind)
    text = _count_answers(len(answers))
    if not reminders:
        return text
    extra = ngettext("{count} with a reminder", "{count} with reminders", reminders)
    return f"{text} ({extra.format(count=reminders)})"
