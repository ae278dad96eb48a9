"""Meetings: see the next ones in your time zone, RSVP, and (for organisers) plan them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from natm_bot.api import (
    Attachment,
    Context,
    NotFound,
    Perm,
    Reply,
    Rest,
    UserId,
    command,
    md_escape,
    md_link,
    row_number,
)
from natm_bot.calendar.recurrence import describe_repeat
from natm_bot.calendar.timeutil import full_time, span_text
from natm_bot.core.i18n import N_, _, ngettext, speaking
from natm_bot.core.text import fold
from natm_bot.features.meetings.announcement_texts import offset_text
from natm_bot.features.meetings.changes import (
    MeetingChange,
    by_occurrence,
    without_confirm,
)
from natm_bot.features.meetings.edit_texts import dropped_notice, edit_summary
from natm_bot.features.meetings.failures import describe_failure
from natm_bot.features.meetings.ical import calendar, calendar_domain
from natm_bot.features.meetings.models import AnnouncementRecord, Answered, Meeting
from natm_bot.features.meetings.occurrences import (
    on_last_day,
    schedule_of,
    short_months_skipped,
)
from natm_bot.features.meetings.service import parse_answer
from natm_bot.features.meetings.views import heading, rooms_text, times

ROOM_OUTCOMES = {
    "sent": N_("sent in {room}"),
    "late": N_("sent late in {room}"),
    "failed": N_("**failed** in {room} ({why})"),
}


class MeetingLookup:
    """Argument converter: `3` or `#3` → Meeting."""

    target = True  # what a command acts on: one that does not exist is judged as out of reach

    async def convert(self, ctx: Context, text: str) -> Meeting:
        """The meeting, or a friendly error."""
        number, found = row_number(
            text, _("Meetings are numbered, like `#3`; “{typed}” is not a number.")
        )
        if found is None:  # no row id is that large
            raise NotFound(
                _("There is no meeting #{number}. `{list}` lists them.").format(
                    number=number, list=f"{ctx.prefix}meetings"
                )
            )
        return await ctx.app.meetings.get(found)


class NewMeeting:
    """Argument converter: the fields of `!meeting add` → the meeting they would plan."""

    rest = True  # the fields take the rest of the line

    async def convert(self, ctx: Context, text: str) -> MeetingChange:
        """The drafted meeting; nothing is saved until the command is allowed."""
        sender, room = ctx.message.sender, ctx.message.room_id
        draft = await ctx.app.meetings.draft(text, asker=sender, room=room)
        return MeetingChange(None, draft)


class EditedMeeting:
    """Argument converter: the fields of `!meeting edit <n>` → the meeting as they would
    leave it (the meeting itself is the argument bound before)."""

    rest = True
    takes_bound = True

    async def convert(self, ctx: Context, text: str, bound: Mapping[str, Any]) -> MeetingChange:
        """The meeting before and after; nothing is saved until the command is allowed."""
        before = next(v for v in bound.values() if isinstance(v, Meeting))
        fields, confirmed = without_confirm(text)
        after = await ctx.app.meetings.draft_edit(before, fields)
        return MeetingChange(before, after, confirmed)


MeetingArg = Annotated[Meeting, MeetingLookup()]
NewMeetingArg = Annotated[MeetingChange, NewMeeting()]
EditedMeetingArg = Annotated[MeetingChange, EditedMeeting()]


def _now(ctx: Context) -> datetime:
    return ctx.app.clock.now()


def _times(ctx: Context, moment: datetime, meeting_tz: str, asker_tz: str | None) -> str:
    """A start in every zone that matters to the asker (see `views.times`)."""
    zones = ctx.config.bot.display_timezones
    return times(moment, meeting_tz, asker_tz, display_zones=zones, now=_now(ctx))


async def _asker_zone(ctx: Context) -> str | None:
    return await ctx.app.meetings.timezone_of(ctx.message.sender)


@command("meetings", aliases=("reuniones", "réunions", "reuniões", "calendar"))
async def meetings(ctx: Context) -> Reply:
    """The next meetings, in your time zone and the coalition's"""
    upcoming = await ctx.app.meetings.upcoming(_now(ctx), ctx.config.meetings.list_size)
    if not upcoming:
        return Reply(_("No meetings are planned yet."))
    mine = await _asker_zone(ctx)
    lines = [f"- {heading(m)}: {_times(ctx, moment, m.timezone, mine)}" for m, moment in upcoming]
    number, zone = _("number"), _("Area/City")
    footer = _("Details: `{details}` · calendar file: `{ics}`.").format(
        details=f"{ctx.prefix}meeting <{number}>", ics=f"{ctx.prefix}meetings ics"
    )
    if not mine:
        hint = _("Set your time zone with `{command}`.").format(command=f"{ctx.prefix}tz {zone}")
        footer += " " + hint
    return Reply(_("**Next meetings**") + "\n\n" + "\n".join(lines) + "\n\n" + footer)


@command("meetings ics", aliases=("calendar ics",))
async def meetings_ics(ctx: Context) -> Reply:
    """All meetings as a calendar file (.ics) for your calendar app"""
    active = await ctx.app.meetings.active()
    data = calendar(active, calendar_domain(ctx.config), _now(ctx))
    file = Attachment("natm-meetings.ics", "text/calendar", data)
    text = ngettext(
        "The calendar of {count} meeting, for any calendar app.",
        "The calendar of {count} meetings, for any calendar app.",
        len(active),
    ).format(count=len(active))
    feed = ctx.config.http.feed_base if ctx.config.http else None
    if feed:
        subscribe = _("To stay up to date, subscribe to {url} in your calendar app.")
        text += " " + subscribe.format(url=f"{feed}/calendar.ics")
    return Reply(text, attachment=file)


@command("meeting", aliases=("reunión", "réunion", "reunião"))
async def meeting(ctx: Context, number: MeetingArg) -> Reply:
    """One meeting: when (in every zone), where, who is coming: {prefix}meeting 3

    Organisers (room moderators, group coordinators, admins):
    - `{prefix}meeting add title="…" when="YYYY-MM-DD HH:MM" tz=Area/City [duration=90m]
      [repeat=…] [link=https://…] [group=…] [rooms=!room:server,…] [reminders=1d,1h,0]
      [description="…"] [thread=no] [agenda=organisers]`
    - `{prefix}meeting edit <number> field=value…` (the same fields)
    - `{prefix}meeting cancel <number>` (the whole series)
    - `{prefix}meeting cancel <number> YYYY-MM-DD` (one date)
    """
    lines = [heading(number)]
    if number.description:
        lines.append(md_escape(number.description))
    lines.append("")
    lines.append("- " + _("Repeats: {how}").format(how=_repeats(ctx, number)))
    lines.append("- " + _("Lasts: {span}").format(span=span_text(number.duration_minutes)))
    if number.link:
        lines.append("- " + _("Join: {link}").format(link=md_link(number.link)))
    lines.append("- " + _("Announced in: {rooms}").format(rooms=rooms_text(number.rooms)))
    lines += _unusual(number)
    lines += await _next_dates(ctx, number)
    lines += await _announcement_lines(ctx, number)
    return Reply("\n".join(lines))


def _unusual(meeting: Meeting) -> list[str]:
    """The settings that differ from the default: no threads, an agenda kept by organisers."""
    lines = []
    if not meeting.threads:
        lines.append("- " + _("Reminders are posted in the room, not in a thread per date."))
    if meeting.agenda_by == "organisers":
        lines.append("- " + _("Only organisers add to the agenda."))
    return lines


async def _next_dates(ctx: Context, meeting: Meeting) -> list[str]:
    """Who is coming next time, and the next dates in the asker's zones."""
    mine = await _asker_zone(ctx)
    upcoming = ctx.app.meetings.next_occurrences(meeting, _now(ctx), 4)
    if not upcoming:
        return ["- " + _("No upcoming dates.")]
    counts = await ctx.app.meetings.rsvp_counts(meeting, upcoming[0])
    next_time = _("Next time: {yes} going, {maybe} maybe, {no} not").format(**counts)
    return [
        f"- {next_time} · `{ctx.prefix}rsvp {meeting.id} yes`",
        "",
        _("**Next dates**"),
        *(f"- {_times(ctx, moment, meeting.timezone, mine)}" for moment in upcoming),
    ]


def _repeats(ctx: Context, meeting: Meeting) -> str:
    """How the meeting repeats, and why not when an older version stored a rule that cannot be
    kept (the bot then keeps only the start)."""
    problem = schedule_of(meeting).problem
    if problem is None or meeting.rrule is None:
        return describe_repeat(meeting.rrule)
    return _(
        "once: its repeat rule “{rule}” can no longer be used ({problem}); change it with"
        " `{command}`"
    ).format(
        rule=md_escape((meeting.rrule or "")[:80]),
        problem=problem.rstrip("."),
        command=f"{ctx.prefix}meeting edit {meeting.id} repeat=…",
    )


async def _announcement_lines(ctx: Context, meeting: Meeting) -> list[str]:
    """How the latest announcements went, room by room, for the meeting's organisers only.
    (Who may run a command is the dispatcher's business; this is what one answer shows.)"""
    if not await ctx.app.permissions.allows(Perm.ORGANISER, ctx.message, {"number": meeting}):
        return []
    records = await ctx.app.meetings.recent_announcements(meeting)
    if not records:
        return []
    lines = ["", _("**Recent announcements** (shown to organisers)")]
    for record in records:
        moment = datetime.fromtimestamp(record.occurrence, UTC)
        when = offset_text(record.offset_minutes)
        lines.append(f"- {full_time(moment, meeting.timezone)}, {when}: {_outcome(record)}")
    return lines


def _outcome(record: AnnouncementRecord) -> str:
    parts = []
    for room in record.rooms:
        why = describe_failure(room.reason) if room.status == "failed" else ""
        parts.append(_(ROOM_OUTCOMES[room.status]).format(room=md_escape(room.room), why=why))
    if record.status is None:
        parts.append(_("still being sent"))
    elif record.status == "missed":
        parts.append(_("missed: the bot was offline until the grace window had passed"))
    return " · ".join(parts) or str(record.status)


@command("meeting add", perm=Perm.ORGANISER, usage=N_("title=… when=… tz=… [more fields…]"))
async def meeting_add(ctx: Context, fields: NewMeetingArg) -> Reply:
    """Plan a meeting, once or repeating

    Example: `{prefix}meeting add title="Algorithm Observatory call" when="2027-01-05 18:00"
    tz=Europe/Berlin duration=90m repeat="first tuesday" link=https://meet.example.org/algo
    group=algo`

    Fields (values with spaces go in double quotes):
    - `title` (required): 1 to 200 characters
    - `when` (required unless `from` is given): `YYYY-MM-DD HH:MM` in `tz`, at most 5 years
      ahead; with `repeat`, one of its dates
    - `tz`: an IANA zone like `Europe/Berlin`; defaults to yours from `{prefix}tz`
    - `duration`: e.g. `90m` or `2h`, at most 24 hours
    - `repeat`: `weekly`, `every 2 weeks`, `monthly` (same date), `monthly on the last day`,
      `first tuesday` (or second, third, fourth, last + a weekday), `daily`, or an RRULE such
      as `FREQ=WEEKLY;BYDAY=MO,TH`:
      at most once a day and at least once a year, `COUNT` up to 1000 or `UNTIL` up to 10
      years after the start
    - `link`: the call's address, starting with https:// (or http://)
    - `description`: a few words on what it is about
    - `group`: a working group; the meeting is announced in its room
    - `rooms`: where to announce it, room ids or aliases separated by commas
    - `reminders`: when to announce it before the start, at most 30 days before, e.g.
      `1d,1h,0` (`0` is "starting now", with the link)
    - `thread`: `yes` (the default: each date's reminders and "starting now" go in the
      thread of its first announcement) or `no` (each is posted in the room)
    - `agenda`: who may add to a date's agenda, `anyone` in the room (the default) or
      `organisers`, e.g. `thread=no agenda=organisers`
    - `from` (instead of `when`): a closed time poll, `from=poll:4`: the meeting takes its
      best time (the earliest on a tie) and its time zone (unless `tz` is given)
    - `option` (with `from`): the poll's time you pick instead, by its number, e.g.
      `from=poll:4 option=2` (also while the poll is open)
    """
    return Reply(await _planned(ctx, await ctx.app.meetings.add(fields.after)))


async def _planned(ctx: Context, created: Meeting) -> str:
    """What `meeting add` says of the meeting it planned: when first, where, how often."""
    first = ctx.app.meetings.next_occurrences(created, _now(ctx), 1)
    when = _times(ctx, first[0], created.timezone, await _asker_zone(ctx)) if first else _("never")
    text = _("Planned {meeting} ({repeat}). First: {when}. Announced in {rooms}.").format(
        meeting=heading(created),
        repeat=describe_repeat(created.rrule),
        when=when,
        rooms=rooms_text(created.rooms),
    )
    return " ".join([text, *_short_months(ctx, created)])


def _short_months(ctx: Context, meeting: Meeting) -> list[str]:
    """Say that shorter months are skipped, and offer the last day of each month."""
    day = short_months_skipped(meeting)
    if day is None:
        return []
    said = [_("Months without a day {day} have no meeting.").format(day=day)]
    if on_last_day(meeting) and meeting.rrule == "FREQ=MONTHLY":
        command = f'`{ctx.prefix}meeting edit {meeting.id} repeat="monthly on the last day"`'
        said.append(_("To meet on the last day of every month: {command}").format(command=command))
    return said


@command("meeting edit", perm=Perm.ORGANISER, usage=N_("<number> field=value…"))
async def meeting_edit(ctx: Context, number: MeetingArg, fields: EditedMeetingArg) -> list[Reply]:
    """Change a meeting: {prefix}meeting edit <number> field=value…

    Example: `{prefix}meeting edit 3 when="2027-02-02 17:00" duration=2h`. The fields are those of
    `{prefix}meeting add`.
    """
    edit = await ctx.app.meetings.save_edit(fields)
    told = [
        await _told(ctx, number, k, answer)
        for k, group in by_occurrence(edit.lost).items()
        for answer in group
        if edit.saved and answer.answer != "no"  # a "no" that no longer counts needs no notice
    ]
    return [Reply(edit_summary(number, edit)), *told]


async def _told(ctx: Context, before: Meeting, key: int, answer: Answered) -> Reply:
    """A direct message, in that person's language, to someone whose answer an edit dropped."""
    with speaking(await ctx.app.languages.for_person(answer.user_id)):
        text = dropped_notice(before, key, ctx.prefix)
    return Reply(text, to_user=UserId(answer.user_id))


@command("meeting cancel", perm=Perm.ORGANISER)
async def meeting_cancel(ctx: Context, number: MeetingArg, day: str | None = None) -> Reply:
    """Cancel a meeting, or one of its dates: {prefix}meeting cancel <number> [YYYY-MM-DD]

    Examples: `{prefix}meeting cancel 3 2027-03-02` (one date), `{prefix}meeting cancel 3`
    (every date)
    """
    service = ctx.app.meetings
    if day is None:
        await service.cancel(number)
        return Reply(
            _("Cancelled {meeting} and all its future dates.").format(meeting=heading(number))
        )
    moment = await service.cancel_occurrence(number, day)
    when = _times(ctx, moment, number.timezone, None)
    text = _("Cancelled {meeting} on {when}. Other dates stay.")
    return Reply(text.format(meeting=heading(number), when=when))


@command("rsvp")
async def rsvp(ctx: Context, number: MeetingArg, answer: Rest) -> Reply:
    """Say whether you are coming next time: {prefix}rsvp <number> yes|no|maybe [remind]

    `{prefix}rsvp 3 yes remind` also sends you a direct message shortly before it starts.
    """
    choice, remind = parse_answer(answer)
    moment = await ctx.app.meetings.rsvp(number, ctx.message.sender, choice, remind)
    when = _times(ctx, moment, number.timezone, await _asker_zone(ctx))
    said = {"yes": _("yes"), "no": _("no"), "maybe": _("maybe")}.get(choice, choice)
    text = _("Noted: {answer} for {meeting} on {when}.").format(
        answer=said, meeting=heading(number), when=when
    )
    if remind and choice == "yes":
        text += " " + _("I'll remind you by direct message.")
    return Reply(text)


@command("tz", aliases=("timezone", "zona", "fuseau", "fuso", "husohorario", "fuseauhoraire"))
async def tz(ctx: Context, name: Rest | None = None) -> Reply:
    """Your time zone for meeting times: {prefix}tz City or {prefix}tz Area/City (or {prefix}tz alone to see it)

    Example: `{prefix}tz Nairobi`, `{prefix}tz Ciudad de México` or
    `{prefix}tz Africa/Nairobi`. `{prefix}tz none` forgets it.
    """  # noqa: E501
    service = ctx.app.meetings
    if name is None or not name.strip():
        current = await service.timezone_of(ctx.message.sender)
        if current is None:
            text = _("You have not set a time zone. Example: `{example}`.")
            return Reply(text.format(example=f"{ctx.prefix}tz Asia/Kolkata"))
        return Reply(_("Your time zone is {zone}.").format(zone=current))
    if fold(name) in ("none", "off", "clear"):
        await service.set_timezone(ctx.message.sender, None)
        return Reply(_("I have forgotten your time zone."))
    chosen = await service.set_timezone(ctx.message.sender, name)
    text = _("Your time zone is now {zone}. Meeting times will include it.")
    return Reply(text.format(zone=chosen))
