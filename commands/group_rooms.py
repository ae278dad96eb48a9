"""Creating and closing working groups, with the rooms the bot makes for them."""

from __future__ import annotations

import re
from dataclasses import replace

from natm_bot.api import (
    CommandError,
    Context,
    Perm,
    Reply,
    Rest,
    UsageError,
    command,
    md_escape,
    parse_fields,
)
from natm_bot.core.i18n import _
from natm_bot.features.groups.arguments import GroupArg
from natm_bot.features.groups.editing import edited
from natm_bot.features.groups.service import Group
from natm_bot.features.groups.views import bold_name as _name

# `!group create <id> name="…" …`: the fields form, told apart from `"<name>" [description]`.
_FIELDS_FORM = re.compile(r"\s*(name|room|description)\s*=", re.IGNORECASE)
_YES = ("yes", "y", "true", "1", "sí", "si", "oui", "sim")
_NO = ("no", "n", "false", "0", "non", "não", "nao")


def _room_field(value: str) -> str | None:
    """`new`, a room id or address, or nothing; a UsageError for anything else."""
    if not value or value.lower() == "new":
        return value.lower() or None
    probe = Group(id="probe", name="probe", description={})
    return edited(probe, "room", value).room


async def _created(ctx: Context, group: Group, room: str | None) -> list[Reply]:
    """The reply to a group created; its room made or linked when asked for."""
    text = _("Created {group} (`{id}`). Add a coordinator with `{command}`.").format(
        group=_name(group),
        id=group.id,
        command=f"{ctx.prefix}group addcoord {group.id} @someone:example.org",
    )
    if room is None:
        return [Reply(text)]
    if room != "new":
        await ctx.app.groups.update(replace(group, room=room))
        linked = _("Its room is {room}.").format(room=md_escape(room))
        return [Reply(text + " " + linked)]
    try:
        made = await ctx.app.group_rooms.make(group, ctx.config.bot.language)
    except Exception as exc:
        failed = _("Making its room failed ({error}); link one with `{command}`.").format(
            error=md_escape(str(exc)[:200]),
            command=f"{ctx.prefix}group edit {group.id} room #room:example.org",
        )
        return [Reply(text + " " + failed)]
    await ctx.app.groups.update(replace(group, room=made))
    made_text = _("I made its room {room} (encrypted, history visible to members).")
    return [Reply(text + " " + made_text.format(room=md_escape(made)))]


@command("group create", perm=Perm.ADMIN)
async def group_create(ctx: Context, name: str, fields: Rest | None = None) -> list[Reply]:
    """Create a working group: {prefix}group create <id> name="<name>" [room=new]

    `room=new` makes an encrypted room for the group (and puts it in the coalition Space);
    `room=#room:example.org` links an existing room; `description="…"` sets the description.
    The short form `{prefix}group create "<name>" [description…]` still works.
    Examples: `{prefix}group create research name="Research" room=new`,
    `{prefix}group create "Community Networks" Building local networks together.`
    """
    typed = fields or ""
    if not _FIELDS_FORM.match(typed):
        return await _created(ctx, await ctx.app.groups.create(name, typed.strip()), None)
    given = parse_fields(typed, ("name", "room", "description"), required=("name",))
    room = _room_field(given.get("room", ""))
    group_id = name.strip().lower()
    created = await ctx.app.groups.create(given["name"], given.get("description", ""), group_id)
    return await _created(ctx, created, room)


def _archive(typed: str) -> bool:
    """Whether `archive=yes` was typed; a UsageError for anything else."""
    if not typed.strip():
        return False
    value = parse_fields(typed, ("archive",)).get("archive", "").lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise UsageError(_("Write `archive=yes` or `archive=no`."))


@command("group close", perm=Perm.COORDINATOR)
async def group_close(ctx: Context, group: GroupArg, fields: Rest | None = None) -> list[Reply]:
    """Stop new sign-ups to a group (members stay): {prefix}group close <group> [archive=yes]

    When the bot made the group's room, it leaves it; with `archive=yes` it keeps it
    invite-only and posts a last notice there instead.
    Example: `{prefix}group close algo archive=yes`
    """
    archive = _archive(fields or "")
    room = await ctx.app.group_rooms.made_room(group)
    await ctx.app.groups.update(replace(group, open=False))
    closed = _("{group} is now closed to new members.").format(group=_name(group))
    if room is None:
        return [Reply(closed)]
    if not archive:
        await ctx.app.group_rooms.leave(room)
        await ctx.app.groups.update(replace(group, open=False, room=None))
        return [Reply(closed + " " + _("I left its room."))]
    if not await ctx.app.group_rooms.archive(room):
        raise CommandError(closed + " " + _("Making its room invite-only failed."))
    notice = _("{group} is closed: this room stays as an archive, and nobody new can join.")
    kept = closed + " " + _("Its room stays as an archive, invite-only.")
    return [Reply(kept), Reply(notice.format(group=_name(group)), to_room=room)]
