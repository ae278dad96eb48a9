"""Action items the minutes of meetings named: yours, a group's, marking one done, handing
one to someone else."""

from __future__ import annotations

from natm_bot.api import (
    CommandError,
    Context,
    NotFound,
    Perm,
    Reply,
    UsageError,
    UserId,
    command,
    row_number,
)
from natm_bot.core.i18n import N_, _, speaking
from natm_bot.features.groups.arguments import GroupArg
from natm_bot.features.meetings.action_views import group_actions, handed_over, my_actions
from natm_bot.features.meetings.actions import Action


@command("actions", aliases=("acciones", "ações", "acoes"))
async def actions(ctx: Context) -> Reply:
    """Your open action items, from the minutes of meetings

    Example: `{prefix}actions` (a group's: `{prefix}actions group algo`)
    """
    mine = await ctx.app.actions.mine(ctx.message.sender)
    return Reply(my_actions(mine, ctx.prefix))


@command("actions group", usage=N_("<group>"))
async def actions_group(ctx: Context, group: GroupArg) -> Reply:
    """A working group's open action items: {prefix}actions group <group>

    Example: `{prefix}actions group algo`
    """
    found = await ctx.app.actions.in_group(group.id)
    return Reply(group_actions(group.name, found, ctx.prefix))


@command("action done", usage=N_("<number>"))
async def action_done(ctx: Context, number: str) -> Reply:
    """Mark an action item done: {prefix}action done <number>

    Its owner may, and so may the meeting's organisers, the group's coordinators and admins.

    Example: `{prefix}action done 7`
    """
    action = await _acted_on(ctx, number)
    await ctx.app.actions.done(action, ctx.message.sender)
    return Reply(_("Action #{number} is done. Thank you!").format(number=action.id))


@command("action reassign", usage=N_("<number> @user:server"))
async def action_reassign(ctx: Context, number: str, user: UserId) -> list[Reply]:
    """Give an action item to someone else: {prefix}action reassign <number> @user:server

    The same people as for `{prefix}action done` may; the new owner gets a direct message.

    Example: `{prefix}action reassign 7 @maria:example.org`
    """
    action = await _acted_on(ctx, number)
    await ctx.app.actions.reassign(action, user)
    text = _("Action #{number} is now {person}'s; I've told them.").format(
        number=action.id, person=user
    )
    if user == ctx.message.sender:
        return [Reply(_("Action #{number} is now yours.").format(number=action.id))]
    with speaking(await ctx.app.languages.for_person(user)):
        note = handed_over(action, ctx.message.sender, ctx.prefix)
    return [Reply(text), Reply(note, to_user=user)]


async def _acted_on(ctx: Context, typed: str) -> Action:
    """The action numbered `typed` when the sender may act on it; else one refusal, the
    same whether it does not exist or is not theirs (so nothing is told about it)."""
    _digits, number = row_number(
        typed, _("Action items are numbered, like `#7`; “{typed}” is not a number.")
    )
    if number is None:
        raise UsageError(_("Action items are numbered from 1, like `#7`."))
    action = await ctx.app.actions.get(number)
    if action is None or not await _may_act(ctx, action):
        refusal = _("Sorry, you have no action #{number} to change. `{mine}` lists yours.")
        raise CommandError(refusal.format(number=number, mine=f"{ctx.prefix}actions"))
    return action


async def _may_act(ctx: Context, action: Action) -> bool:
    """Its owner, an organiser of its meeting, a coordinator of its group, an admin."""
    user = ctx.message.sender
    if action.owner == user or ctx.app.permissions.is_admin(user):
        return True
    groups = {g.id: g for g in await ctx.app.groups.all()}
    group = groups.get(action.group_id) if action.group_id else None
    if group is not None and user in group.coordinators:
        return True
    if action.meeting_id is None:
        return False
    try:
        meeting = await ctx.app.meetings.get(action.meeting_id)
    except NotFound:  # cancelled since: its organisers no longer reach it
        return False
    return await ctx.app.permissions.allows(Perm.ORGANISER, ctx.message, {"meeting": meeting})
