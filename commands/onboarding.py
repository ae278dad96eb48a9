"""!welcome: whether newcomers to this room are welcomed by direct message."""

from __future__ import annotations

from natm_bot.api import CommandError, Context, Perm, Reply, UsageError, command
from natm_bot.core.i18n import _


@command("welcome", aliases=("bienvenida", "bienvenue", "boasvindas"), perm=Perm.MODERATOR)
async def welcome(ctx: Context, switch: str | None = None) -> Reply:
    """Welcome newcomers to this room by direct message: {prefix}welcome on|off"""
    onboarding = ctx.app.onboarding
    room = ctx.message.room_id
    if ctx.message.is_direct:
        raise CommandError(_("Use this command in the room whose newcomers you want welcomed."))
    if switch is None:
        on = onboarding.welcomes(room)
        return Reply(
            _("Newcomers to this room are welcomed.")
            if on
            else _("Newcomers to this room are not welcomed.")
        )
    wanted = switch.strip().casefold()
    if wanted not in ("on", "off"):
        raise UsageError(
            _("Say `{on}` or `{off}`.").format(
                on=f"{ctx.prefix}welcome on", off=f"{ctx.prefix}welcome off"
            )
        )
    await onboarding.switch(room, wanted == "on")
    if wanted == "on":
        return Reply(
            _(
                "Newcomers to this room now get one direct message leading them into the "
                "working groups, and a short greeting here at most every 10 minutes."
            )
        )
    return Reply(_("Newcomers to this room are no longer welcomed."))
