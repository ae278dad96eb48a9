"""!poll, !polls, !vote, !decisions: the coalition decides together."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from natm_bot.api import (
    CommandError,
    Context,
    NotFound,
    Perm,
    Reply,
    Rest,
    UsageError,
    command,
    counting_number,
    parse_fields,
    row_number,
)
from natm_bot.core.i18n import N_, _
from natm_bot.features.polls.drafting import FIELDS, read_draft
from natm_bot.features.polls.service import Poll
from natm_bot.features.polls.views import card, decisions, listing

DECISIONS_PAGE = 5


class PollLookup:
    """Argument converter: `3` or `#3` → the poll, for people who may see it."""

    target = True  # one that does not exist is judged as out of reach

    async def convert(self, ctx: Context, text: str) -> Poll:
        """The poll, or a friendly error (the same for one in a room the asker is not in)."""
        number, found = row_number(
            text, _("Polls are numbered, like `#3`; “{typed}” is not a number.")
        )
        missing = NotFound(
            _("There is no poll #{number}. `{list}` lists this room's polls.").format(
                number=number, list=f"{ctx.prefix}polls"
            )
        )
        if found is None:
            raise missing
        polls = ctx.app.polls
        try:
            poll = await polls.get(found)
        except NotFound:
            raise missing from None
        sender = ctx.message.sender
        if ctx.app.permissions.is_admin(sender):
            return poll
        if not await polls.may_see(poll, sender, ctx.message.room_id):
            raise missing
        return poll


PollArg = Annotated[Poll, PollLookup()]


async def _zone(ctx: Context, poll: Poll) -> str:
    return await ctx.app.polls.zone_for(ctx.message.sender, poll)


@command("poll", aliases=("votación", "sondage", "votação", "encuesta", "enquete"))
async def poll(ctx: Context, number: PollArg) -> Reply:
    """One poll, with how many voted and the results when they can be seen: {prefix}poll 3

    The card: the question, the options (times in your zone), who may vote, the close.

    Open one (room moderators, coordinators in their group's room, admins):
    `{prefix}poll add kind=… question="…" [options="A; B; C"] closes="YYYY-MM-DD HH:MM"
    [tz=Area/City] [quorum=50%|12] [threshold=2/3] [max=2] [voters=room|organisations]
    [results=live|hidden] [secret=yes]`

    - a proposal (agree, abstain, disagree, block; a block stops it and is named with its
      reason): `{prefix}poll add kind=proposal question="Adopt the 2027 statement?"
      closes="2027-01-15 18:00" tz=Europe/Berlin quorum=50% voters=organisations`
    - one of several options: `{prefix}poll add kind=choice question="Next campaign?"
      options="Data centres; Public interest AI; Digital ID" closes="2027-01-15 18:00"`
    - up to `max` of several: `{prefix}poll add kind=multiple question="Which readings?"
      options="Couldry; Ricaurte; Mejias; Benjamin" max=2 closes="2027-01-15 18:00"`
    - find a time (each option a date and time in `tz`; everyone sees them in their own
      zone): `{prefix}poll add kind=time question="Next assembly?" options="2027-03-25 15:00;
      2027-03-30 15:00" tz=Europe/Berlin closes="2027-03-20 12:00"`; then
      `{prefix}meeting add … from=poll:N` plans the meeting at the best time.

    Vote: tap the poll in Element, or `{prefix}vote 3 1` (see `{prefix}help vote`). Your
    last vote before the close counts.

    `voters=organisations` (admins only): one vote per member organisation, by any delegate.

    `secret=yes`: no poll is shown in the room and votes are taken only in a direct message
    to the bot; it keeps a keyed hash of each voter (to refuse a second vote) beside the
    choice, never the Matrix id, and the outcome shows counts only. It does not hide that
    you wrote to the bot, and the bot's operator holds the key of the hash.

    Also: `{prefix}polls`, `{prefix}poll close 3`, `{prefix}poll cancel 3`, `{prefix}poll
    extend 3 "2027-01-20 18:00"`, `{prefix}decisions`.
    """
    polls = ctx.app.polls
    result = await polls.outcome(number)
    zone = await _zone(ctx, number)
    slots = await polls.slots(number) if number.kind == "time" and number.state == "closed" else ()
    return Reply(card(number, result, tz_name=zone, prefix=ctx.prefix, slots=slots))


@command("poll add", perm=Perm.ROOM_ORGANISER, usage=N_("kind=… question=… closes=… [fields…]"))
async def poll_add(ctx: Context, fields: Rest) -> Reply:
    """Open a poll in this room: {prefix}poll add kind=proposal question="Adopt it?" closes="2027-01-15 18:00"

    The kinds and every field, with an example of each kind: `{prefix}help poll`.
    """  # noqa: E501
    typed = parse_fields(fields, FIELDS, required=("kind", "question", "closes"))
    zone = await ctx.app.polls.zone_of(ctx.message.sender) or ctx.config.bot.display_timezones[0]
    draft = read_draft(typed, ctx.app.clock.now(), zone)
    if draft.voters == "organisations" and not ctx.app.permissions.is_admin(ctx.message.sender):
        raise CommandError(
            _("Sorry, only bot admins can open a poll of the member organisations.")
        )
    if ctx.message.is_direct:
        raise CommandError(_("Open a poll in the room that decides, not in a direct message."))
    message = ctx.message
    opened = await ctx.app.polls.open(draft, message.sender, message.room_id, message.event_id)
    shown = await ctx.app.poll_desk.start_native(opened)
    if opened.secret:
        how = _("Vote in a direct message to me: `{example}`.")
    elif shown:
        how = _("Tap the poll above, or type `{example}`.")
    else:
        how = _("I could not show it as a poll in this room: vote by typing `{example}`.")
    return Reply(
        _("Poll #{number} is open until {when}.").format(
            number=opened.id,
            when=ctx.app.polls.closing_text(opened, zone),
        )
        + " "
        + how.format(example=f"{ctx.prefix}vote {opened.id} 1")
    )


@command("poll close", perm=Perm.ROOM_ORGANISER)
async def poll_close(ctx: Context, number: PollArg) -> Reply:
    """Close a poll now and post its outcome in its room: {prefix}poll close 3"""
    closed = await ctx.app.polls.close_now(number)
    return Reply(
        _("Poll #{number} is closing now; its outcome follows in its room.").format(
            number=closed.id
        )
    )


@command("poll cancel", perm=Perm.ROOM_ORGANISER)
async def poll_cancel(ctx: Context, number: PollArg) -> Reply:
    """Cancel a poll, with no outcome: {prefix}poll cancel 3"""
    await ctx.app.polls.cancel(number)
    return Reply(
        _("Poll #{number} is cancelled: no outcome will be posted.").format(number=number.id)
    )


@command("poll extend", perm=Perm.ROOM_ORGANISER, usage=N_('<number> "YYYY-MM-DD HH:MM"'))
async def poll_extend(ctx: Context, number: PollArg, when: Rest) -> Reply:
    """Move a poll's close later, in the poll's zone: {prefix}poll extend 3 2027-01-20 18:00"""
    moment = ctx.app.polls.read_close(number, when.strip().strip('"'))
    moved = await ctx.app.polls.extend(number, moment)
    zone = await _zone(ctx, moved)
    return Reply(
        _("Poll #{number} now closes {when}.").format(
            number=moved.id, when=ctx.app.polls.closing_text(moved, zone)
        )
    )


@command("polls", aliases=("votaciones", "sondages", "votações", "encuestas", "enquetes"))
async def polls(ctx: Context) -> Reply:
    """This room's open polls and those closed lately"""
    since = ctx.app.clock.now() - timedelta(seconds=ctx.config.polls.recent)
    found = await ctx.app.polls.in_room(ctx.message.room_id, since)
    zone = await ctx.app.polls.zone_of(ctx.message.sender) or ctx.config.bot.display_timezones[0]
    return Reply(listing(found, zone, ctx.prefix))


@command(
    "vote", aliases=("votar", "voter"), usage=N_("<poll> <option number(s) or words> [reason]")
)
async def vote(ctx: Context, number: PollArg, choice: Rest) -> list[Reply]:
    """Vote in a poll, by the option's number or words: {prefix}vote 3 2

    More: `{prefix}vote 3 agree`, `{prefix}vote 4 1 3` (several options), or a reason after
    the choice: `{prefix}vote 3 block it names no budget`. Your last vote before the close
    counts; a secret ballot takes one vote, in a direct message.
    """
    message = ctx.message
    cast = await ctx.app.polls.vote(
        number,
        message.sender,
        choice,
        at=message.timestamp,
        event=message.event_id,
        direct=message.is_direct,
    )
    return await ctx.app.poll_desk.notes(cast, message.sender)


@command("decisions", aliases=("decisiones", "décisions", "decisões"), usage=N_("[page N]"))
async def decisions_list(ctx: Context, page: Rest | None = None) -> Reply:
    """Past outcomes of polls, newest first: {prefix}decisions, {prefix}decisions page 2"""
    number = 1
    if page:
        words = page.split()
        if len(words) != 2 or words[0].lower() != "page" or counting_number(words[1]) is None:
            raise UsageError(
                _("Write `{example}`.").format(example=f"{ctx.prefix}decisions page 2")
            )
        number = counting_number(words[1]) or 1
    found, pages = await ctx.app.polls.decisions(min(number, 10_000), DECISIONS_PAGE)
    zone = ctx.config.bot.display_timezones[0]
    outcomes = {p.id: await ctx.app.polls.outcome(p) for p in found}
    return Reply(decisions(found, outcomes, number, pages, zone))
