"""Working groups: see them, join and leave them, and (for coordinators) look after them."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Annotated, Any, Literal

from natm_bot.api import (
    Attachment,
    Card,
    CommandError,
    Context,
    Perm,
    Reply,
    UserId,
    command,
    md_escape,
)
from natm_bot.config.content import GroupsFile
from natm_bot.config.validation import FileProblems, validate_file
from natm_bot.core.i18n import N_, _, ngettext, speaking
from natm_bot.features.groups.arguments import GroupArg
from natm_bot.features.groups.editing import edited
from natm_bot.features.groups.export import write_signups_csv
from natm_bot.features.groups.notices import Write, announce_promotions, tell_coordinators
from natm_bot.features.groups.service import Group, GroupChange
from natm_bot.features.groups.views import bold_name as _name
from natm_bot.features.groups.views import describe_import, invitation
from natm_bot.features.meetings.action_views import action_line
from natm_bot.features.meetings.actions import IN_GROUP_CARD


async def _tell(ctx: Context, group: Group, write: Write) -> list[Reply]:
    """Notices for the group's coordinators, where the config says they get them, each in
    the language of whoever reads it."""
    mode = ctx.config.groups.notify_coordinators
    return await tell_coordinators(ctx.app.languages, mode, group, write)


def _note(text: str, **values: object) -> Write:
    """A notice written, when it is sent, in the language of whoever reads it."""
    return lambda: _(text).format(**values)


async def _promotions(ctx: Context, group: Group, promoted: tuple[str, ...]) -> list[Reply]:
    """Notices for people who moved up from the waitlist, and for the coordinators."""
    mode = ctx.config.groups.notify_coordinators
    return await announce_promotions(ctx.app.groups, ctx.app.languages, mode, group, promoted)


def _who(user: str) -> str:
    return md_escape(user)


def _counts(members: int, waiting: int, group: Group) -> str:
    if group.capacity is not None:
        text = ngettext(
            "{members} member of {capacity}", "{members} members of {capacity}", members
        ).format(members=members, capacity=group.capacity)
    else:
        text = ngettext("{members} member", "{members} members", members).format(members=members)
    if waiting:
        text += ", " + _("{waiting} waiting").format(waiting=waiting)
    return text


@command("groups", aliases=("workinggroups", "grupos", "groupes"))
async def groups(ctx: Context) -> Reply:
    """The working groups, what each one does and how many are in it"""
    service = ctx.app.groups
    entries, counts = await service.all(), await service.counts()
    if not entries:
        return Reply(_("There are no working groups yet."))
    lines = []
    for number, group in enumerate(entries, start=1):
        members, waiting = counts.get(group.id, (0, 0))
        state = "" if group.open else " · " + _("closed to new members")
        lines.append(
            f"{number}. {_name(group)} (`{group.id}`): {ctx.t(group.description)} "
            f"_({_counts(members, waiting, group)}{state})_"
        )
    name = _("name")
    footer = _("Details: `{details}` · join one: `{join}`").format(
        details=f"{ctx.prefix}group <{name}>", join=f"{ctx.prefix}join <{name}>"
    )
    hint = _("React with a number (1️⃣ to 🔟) to join the group at that place in the list.")
    title = _("**Working groups**")
    text = title + "\n\n" + "\n".join(lines) + "\n\n" + footer + "\n" + hint
    return Reply(text, card=Card(groups=tuple(g.id for g in entries[:10])))


@command("group", aliases=("grupo", "groupe"))
async def group(ctx: Context, name: GroupArg) -> Reply:
    """Everything about one working group: {prefix}group <name>

    Names can be shortened (`{prefix}group algo`) and aliases work in several languages.
    Coordinators and admins also have: `{prefix}group members`, `{prefix}group export`,
    `{prefix}group edit`, `{prefix}group close`, `{prefix}group reopen`, `{prefix}group addcoord`,
    `{prefix}group rmcoord`, `{prefix}group remove`; admins: `{prefix}group create`,
    `{prefix}group import`. See `{prefix}help group edit` and the others.

    Example: `{prefix}group algo`
    """
    members, waiting = (await ctx.app.groups.counts()).get(name.id, (0, 0))
    lines = [f"{_name(name)} (`{name.id}`)", ctx.t(name.description), ""]
    lines.append("- " + _("Members: {counts}").format(counts=_counts(members, waiting, name)))
    coordinators = ", ".join(_who(c) for c in name.coordinators) or _("none yet")
    lines.append("- " + _("Coordinators: {names}").format(names=coordinators))
    if name.room:
        lines.append("- " + _("Room: {room}").format(room=md_escape(name.room)))
    if name.aliases:
        also = ", ".join(md_escape(a) for a in name.aliases)
        lines.append("- " + _("Also called: {names}").format(names=also))
    if name.open:
        lines.append("- " + _("Join: `{command}`").format(command=f"{ctx.prefix}join {name.id}"))
        lines.append("- " + _("React 👍 to this message to join."))
    else:
        lines.append("- " + _("Closed to new members for now."))
    feed = ctx.config.http.feed_base if ctx.config.http else None
    if feed:
        url = f"{feed}/groups/{name.id}/calendar.ics"
        lines.append("- " + _("Its meetings in your calendar app: {url}").format(url=url))
    card = Card(group=name.id) if name.open else None
    return Reply("\n".join(lines + await _open_actions(ctx, name)), card=card)


async def _open_actions(ctx: Context, group: Group) -> list[str]:
    """For the group's coordinators and admins: its open action items, a few of them."""
    sender = ctx.message.sender
    if sender not in group.coordinators and not ctx.app.permissions.is_admin(sender):
        return []
    found = await ctx.app.groups.open_actions(group.id, IN_GROUP_CARD + 1)
    if not found:
        return []
    lines = ["", _("**Open action items**")]
    lines += [f"- {action_line(a, owner=True)}" for a in found[:IN_GROUP_CARD]]
    if len(found) > IN_GROUP_CARD:
        more = f"{ctx.prefix}actions group {group.id}"
        lines.append(_("All of them: `{command}`").format(command=more))
    return lines


@command("join", aliases=("unirse", "rejoindre", "entrar"))
async def join(ctx: Context, group: GroupArg) -> list[Reply]:
    """Join a working group: {prefix}join <group>

    Example: `{prefix}join algo`
    """
    if not group.open:
        raise CommandError(
            _("{group} is closed to new members for now.").format(group=_name(group))
        )
    sender = ctx.message.sender
    outcome = await ctx.app.groups.join(group, sender)
    if outcome.status == "already-member":
        return [Reply(_("You are already in {group}.").format(group=_name(group)))]
    if outcome.status == "already-waiting":
        return [
            Reply(
                _("You are already on the waitlist of {group}, number {position}.").format(
                    group=_name(group), position=outcome.position
                )
            )
        ]
    if outcome.status == "waiting":
        text = _(
            "{group} is full, so you are on its waitlist, number {position}. "
            "I'll tell you as soon as a place frees up. (`{leave}` takes you off the list.)"
        ).format(
            group=_name(group), position=outcome.position, leave=f"{ctx.prefix}leave {group.id}"
        )
        waiting = N_("{person} joined the waitlist (number {position}).")
        note = _note(waiting, person=_who(sender), position=outcome.position)
        return [Reply(text), *await _tell(ctx, group, note)]
    invite = invitation(group, await ctx.app.groups.invite(group, sender))
    text = _("Welcome to {group}!{invite} (`{leave}` to leave.)").format(
        group=_name(group), invite=invite, leave=f"{ctx.prefix}leave {group.id}"
    )
    joined = _note(N_("{person} joined {group}."), person=_who(sender), group=_name(group))
    return [Reply(text), *await _tell(ctx, group, joined)]


@command("leave", aliases=("salir", "quitter", "sair"))
async def leave(ctx: Context, group: GroupArg) -> list[Reply]:
    """Leave a working group (or its waitlist): {prefix}leave <group>

    Example: `{prefix}leave algo`
    """
    outcome = await ctx.app.groups.leave(group, ctx.message.sender)
    if outcome.was is None:
        raise CommandError(
            _("You are not in {group}, nor on its waitlist.").format(group=_name(group))
        )
    text = (
        _("You have left {group}.")
        if outcome.was == "member"
        else _("You are off the waitlist of {group}.")
    ).format(group=_name(group))
    if group.room and outcome.was == "member":  # the bot kicks nobody: the room is theirs
        room = _("To leave its room too, leave the room {room} in your client.")
        text += " " + room.format(room=md_escape(group.room))
    return [Reply(text), *await _promotions(ctx, group, outcome.promoted)]


@command("mygroups", aliases=("misgrupos", "mesgroupes", "meusgrupos"))
async def mygroups(ctx: Context) -> Reply:
    """The working groups you are in or waiting for"""
    signups = await ctx.app.groups.signups(user_id=ctx.message.sender)
    if not signups:
        return Reply(
            _("You are not in any working group yet. `{groups}` lists them.").format(
                groups=f"{ctx.prefix}groups"
            )
        )
    names = {g.id: g for g in await ctx.app.groups.all()}
    lines = []
    for signup in signups:
        group = names[signup.group_id]
        status = (
            _("waitlist, number {position}").format(position=signup.position)
            if signup.waiting
            else _("member")
        )
        since = _("{status} since {date}").format(
            status=status, date=f"{signup.joined_at:%Y-%m-%d}"
        )
        lines.append(f"- {_name(group)}: {since}")
    return Reply(_("**Your working groups**") + "\n\n" + "\n".join(lines))


@command("group members", perm=Perm.GROUP_VIEWER)
async def group_members(ctx: Context, group: GroupArg) -> Reply:
    """Who is in a group (sent by direct message unless the list is public)

    Example: `{prefix}group members algo`
    """
    signups = await ctx.app.groups.signups(group_id=group.id)
    members = [s for s in signups if not s.waiting]
    waiting = [s for s in signups if s.waiting]
    title = _("**Members of {group}** ({count})")
    lines = [title.format(group=md_escape(group.name), count=len(members)), ""]
    since = _("{person} (since {date})")
    lines += [
        "- " + since.format(person=_who(s.user_id), date=f"{s.joined_at:%Y-%m-%d}")
        for s in members
    ] or ["- " + _("none")]
    if waiting:
        lines += ["", _("**Waitlist** ({count})").format(count=len(waiting)), ""]
        lines += [f"{s.position}. {_who(s.user_id)}" for s in waiting]
    return Reply("\n".join(lines), private=not group.public)


@command("group export", perm=Perm.COORDINATOR)
async def group_export(ctx: Context, group: GroupArg) -> Reply:
    """A CSV file of a group's sign-ups, sent by direct message

    Example: `{prefix}group export algo`
    """
    buffer = io.StringIO()
    signups = await ctx.app.groups.signups(group_id=group.id)
    write_signups_csv(buffer, signups)
    data = buffer.getvalue().encode()
    file = Attachment(f"{group.id}-signups.csv", "text/csv", data)
    text = _("Sign-ups of {group}: {count}.").format(group=_name(group), count=len(signups))
    return Reply(text, private=True, attachment=file)


Field = Literal["name", "description", "room", "capacity", "members", "aliases"]


class _Edited:
    """Argument converter: the value of `!group edit` → the group as it would leave it, so
    that who may make the change is judged before anything is saved."""

    rest = True  # the value takes the rest of the line
    takes_bound = True

    async def convert(self, ctx: Context, text: str, bound: dict[str, Any]) -> GroupChange:
        """The group before and after."""
        group, field = bound["group"], bound["field"]
        return GroupChange(group, edited(group, field, text.strip()), field)


@command("group edit", perm=Perm.COORDINATOR)
async def group_edit(
    ctx: Context, group: GroupArg, field: Field, value: Annotated[GroupChange, _Edited()]
) -> list[Reply]:
    """Change a group: {prefix}group edit <group> <field> <value…>

    Fields: `name`, `description`, `room` (an id or alias, or `none`), `capacity` (a number or
    `none`), `members` (`public` or `coordinators`: who may see the member list), `aliases`
    (comma-separated). Example: `{prefix}group edit algo capacity 25`
    """
    updated = value.after
    promoted = await ctx.app.groups.update(updated)
    text = _("Updated the {field} of {group}.").format(field=field, group=_name(updated))
    replies = [Reply(text)]
    return replies + await _promotions(ctx, updated, promoted)


@command("group reopen", perm=Perm.COORDINATOR)
async def group_reopen(ctx: Context, group: GroupArg) -> list[Reply]:
    """Accept sign-ups to a group again: {prefix}group reopen <group>

    Example: `{prefix}group reopen algo`
    """
    promoted = await ctx.app.groups.update(replace(group, open=True))
    reopened = Reply(_("{group} is open to new members again.").format(group=_name(group)))
    return [reopened, *await _promotions(ctx, group, promoted)]


@command("group addcoord", perm=Perm.COORDINATOR)
async def group_addcoord(ctx: Context, group: GroupArg, user: UserId) -> Reply:
    """Make someone a coordinator of a group: {prefix}group addcoord <group> <@user:server>

    Example: `{prefix}group addcoord algo @amina:example.org`
    """
    if user in group.coordinators:
        text = _("{person} already coordinates {group}.")
        return Reply(text.format(person=_who(user), group=_name(group)))
    await ctx.app.groups.update(replace(group, coordinators=(*group.coordinators, user)))
    text = _("{person} now coordinates {group}.")
    return Reply(text.format(person=_who(user), group=_name(group)))


@command("group rmcoord", perm=Perm.COORDINATOR)
async def group_rmcoord(ctx: Context, group: GroupArg, user: UserId) -> Reply:
    """Remove a coordinator from a group: {prefix}group rmcoord <group> <@user:server>

    Example: `{prefix}group rmcoord algo @amina:example.org`
    """
    if user not in group.coordinators:
        text = _("{person} does not coordinate {group}.")
        raise CommandError(text.format(person=_who(user), group=_name(group)))
    remaining = tuple(c for c in group.coordinators if c != user)
    await ctx.app.groups.update(replace(group, coordinators=remaining))
    text = _("{person} no longer coordinates {group}.")
    return Reply(text.format(person=_who(user), group=_name(group)))


@command("group remove", perm=Perm.COORDINATOR)
async def group_remove(ctx: Context, group: GroupArg, user: UserId) -> list[Reply]:
    """Take a person out of a group or its waitlist: {prefix}group remove <group> <@user:server>

    Example: `{prefix}group remove algo @amina:example.org`
    """
    outcome = await ctx.app.groups.leave(group, user)
    if outcome.was is None:
        text = _("{person} is not in {group}, nor on its waitlist.")
        raise CommandError(text.format(person=_who(user), group=_name(group)))
    with speaking(await ctx.app.languages.for_person(user)):  # the person removed reads it
        removed = _("A coordinator removed you from {group}.").format(group=_name(group))
    told = Reply(removed, to_user=user)
    done = Reply(_("Removed {person} from {group}.").format(person=_who(user), group=_name(group)))
    return [done, told, *await _promotions(ctx, group, outcome.promoted)]


@command("group import", perm=Perm.ADMIN)
async def group_import(ctx: Context) -> Reply:
    """Re-read data/groups.yaml into the database (sign-ups are kept)"""
    path = ctx.app.data_dir / "groups.yaml"
    try:
        seeds = validate_file(GroupsFile, path).groups
    except FileProblems as exc:
        problems = "\n".join(f"- {md_escape(p)}" for p in exc.problems[:10])
        text = _("groups.yaml has problems; nothing was changed:\n\n{problems}")
        raise CommandError(text.format(problems=problems)) from None
    outcome = await ctx.app.groups.import_seeds(seeds)
    first, *more = describe_import(outcome, lambda name: f"**{md_escape(name)}**")
    return Reply("\n\n".join([first, "\n".join(f"- {line}" for line in more)]).strip())
