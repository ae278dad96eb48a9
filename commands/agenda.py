"""A meeting's agenda, ending a meeting (its minutes posted once) and its minutes later."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from natm_bot.api import Context, NotFound, Perm, Reply, Rest, UsageError, command, row_number
from natm_bot.core.i18n import _
from natm_bot.core.markdown import md_escape
from natm_bot.core.text import fold
from natm_bot.features.meetings.agenda import Added, Removed
from natm_bot.features.meetings.minutes_posting import (
    ended_by_command,
    held,
    running_occurrence,
)
from natm_bot.features.meetings.minutes_views import minutes_text
from natm_bot.features.meetings.models import Meeting
from natm_bot.features.meetings.views import heading

_ADD = {"add", "anadir", "agregar", "ajouter", "adicionar"}
_REMOVE = {"remove", "quitar", "borrar", "retirer", "supprimer", "remover", "tirar"}


class MeetingNumber:
    """Argument converter: `3` or `#3` → Meeting."""

    target = True  # one that does not exist is judged as out of reach

    async def convert(self, ctx: Context, text: str) -> Meeting:
        """The meeting, or a friendly error."""
        number, found = row_number(
            text, _("Meetings are numbered, like `#3`; “{typed}” is not a number.")
        )
        if found is None:
            raise NotFound(
                _("There is no meeting #{number}. `{list}` lists them.").format(
                    number=number, list=f"{ctx.prefix}meetings"
                )
            )
        return await ctx.app.meetings.get(found)


MeetingArg = Annotated[Meeting, MeetingNumber()]


@command("agenda", aliases=("orden", "ordre", "pauta"))
async def agenda(ctx: Context, number: MeetingArg, change: Rest | None = None) -> Reply:
    """The agenda of a meeting's next date: {prefix}agenda <number> [add <text> | remove <item>]

    Examples: `{prefix}agenda 3`, `{prefix}agenda 3 add Budget for the spring campaign`,
    `{prefix}agenda 3 remove 2`
    """
    if change is None:
        return await _shown(ctx, number)
    verb, _space, rest = change.strip().partition(" ")
    if fold(verb) in _ADD:
        return await _add(ctx, number, rest)
    if fold(verb) in _REMOVE:
        return await _remove(ctx, number, rest)
    raise UsageError(
        _("Say `{add}` or `{remove}`.").format(
            add=f"{ctx.prefix}agenda {number.id} add …",
            remove=f"{ctx.prefix}agenda {number.id} remove 2",
        )
    )


async def _shown(ctx: Context, meeting: Meeting) -> Reply:
    service = ctx.app.agenda
    occurrence = service.occurrence(meeting)
    items = await service.items(meeting, occurrence) if occurrence is not None else []
    if not items:
        text = _("The agenda of {meeting} is empty. Add to it: `{example}`")
        return Reply(
            text.format(meeting=heading(meeting), example=f"{ctx.prefix}agenda {meeting.id} add …")
        )
    rows = [f"{n}. {md_escape(item.text)}" for n, item in enumerate(items, 1)]
    return Reply("\n".join([_("Agenda of {meeting}:").format(meeting=heading(meeting)), *rows]))


async def _organiser(ctx: Context, meeting: Meeting) -> bool:
    return await ctx.app.permissions.allows(Perm.ORGANISER, ctx.message, {"number": meeting})


async def _add(ctx: Context, meeting: Meeting, text: str) -> Reply:
    organiser = await _organiser(ctx, meeting)
    outcome, cleaned = await ctx.app.agenda.add(
        meeting, ctx.message.sender, text, organiser, ctx.message.event_id
    )
    refusals = {
        Added.EMPTY: _("Sorry, an agenda item needs some text: `{example}`").format(
            example=f"{ctx.prefix}agenda {meeting.id} add Budget"
        ),
        Added.TOO_LONG: _("Sorry, an agenda item can be at most 500 characters long."),
        Added.NOT_IN_ROOMS: _("Sorry, only people in the meeting's rooms can add to its agenda."),
        Added.ORGANISERS_ONLY: _("Sorry, only the meeting's organisers can add to its agenda."),
        Added.NO_OCCURRENCE: _("Sorry, {meeting} has no date to come.").format(
            meeting=heading(meeting)
        ),
    }
    if outcome in refusals:
        return Reply(refusals[outcome])
    text = _("Added to the agenda of {meeting}: {item}")
    return Reply(text.format(meeting=heading(meeting), item=md_escape(cleaned)))


async def _remove(ctx: Context, meeting: Meeting, typed: str) -> Reply:
    typed = typed.strip().lstrip("#")
    number = int(typed) if typed.isascii() and typed.isdigit() and len(typed) < 6 else 0
    organiser = await _organiser(ctx, meeting)
    outcome = await ctx.app.agenda.remove(meeting, number, ctx.message.sender, organiser)
    if outcome is Removed.NO_SUCH_ITEM:
        text = _("Sorry, the agenda has no item “{typed}”. `{list}` shows it.")
        return Reply(
            text.format(typed=md_escape(typed[:20]), list=f"{ctx.prefix}agenda {meeting.id}")
        )
    if outcome is Removed.NOT_YOURS:
        return Reply(_("Sorry, only its author or the meeting's organisers can remove an item."))
    return Reply(_("Removed item {number} from the agenda.").format(number=number))


@command("endmeeting", perm=Perm.ORGANISER, aliases=("finreunion", "finréunion", "fimreuniao"))
async def endmeeting(ctx: Context, number: MeetingArg) -> list[Reply]:
    """End a meeting that is running and post its minutes: {prefix}endmeeting <number>

    Example: `{prefix}endmeeting 3`
    """
    poster, message = ctx.app.minutes, ctx.message
    occurrence = await running_occurrence(poster, number)
    ended = occurrence is not None and await poster.end(number, occurrence, message.sender)
    # Handled again after a restart, the command that ended it answers as the first time.
    if not ended and not await ended_by_command(poster, number, message.sender, message.timestamp):
        text = _("Sorry, {meeting} is not running now, or it has ended already.")
        return [Reply(text.format(meeting=heading(number)))]
    if message.room_id in number.rooms:
        return []  # the minutes, posted here, say it ended
    return [Reply(_("Ended {meeting}; its minutes are posted in its rooms.").format(
        meeting=heading(number)
    ))]  # fmt: skip


@command("minutes", aliases=("acta", "compterendu", "ata"))
async def minutes(ctx: Context, number: MeetingArg, day: str | None = None) -> Reply:
    """The minutes of a meeting's last date, or of one date: {prefix}minutes <number> [YYYY-MM-DD]

    Examples: `{prefix}minutes 3`, `{prefix}minutes 3 2027-01-05`
    """
    when: date | None = None
    if day is not None:
        try:
            when = date.fromisoformat(day.strip())
        except ValueError:
            raise UsageError(
                _("Sorry, “{typed}” is no date; write it like 2027-01-05.").format(
                    typed=md_escape(day[:20])
                )
            ) from None
    poster = ctx.app.minutes
    occurrence = await held(poster, number, when)
    if occurrence is None:
        return Reply(_("Sorry, {meeting} has no minutes yet.").format(meeting=heading(number)))
    return Reply(minutes_text(await poster.minutes(number, occurrence)))
