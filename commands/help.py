"""!help: generated from the command registry, so it cannot drift from the code."""

from __future__ import annotations

from natm_bot.api import Context, NotFound, Reply, Rest, command, md_escape
from natm_bot.core.i18n import _


@command("help", aliases=("commands", "ayuda", "aide", "ajuda"))
async def help_(ctx: Context, command: Rest | None = None) -> Reply:
    """Every command, or how to use one"""
    prefix = ctx.prefix
    if command is None:
        lines = [
            f"- `{spec.usage(prefix)}`: {md_escape(spec.help_summary(prefix))}"
            for spec in sorted(ctx.registry.commands, key=lambda s: s.name)
            if not spec.hidden and await ctx.app.permissions.allows(spec.perm, ctx.message)
        ]
        what = _("command")
        more = _("More about one command: `{command}`").format(command=f"{prefix}help <{what}>")
        return Reply(_("**What I can do**") + "\n\n" + "\n".join(lines) + "\n\n" + more)
    name = " ".join(command.removeprefix(prefix).split()[:2])
    spec = ctx.registry.get(name) or ctx.registry.get(name.split(" ")[0])
    if spec is None:
        raise NotFound(
            _("There is no command {typed}. `{help}` lists them all.").format(
                typed=md_escape(prefix + name[:40]), help=f"{prefix}help"
            )
        )
    parts = [
        f"**{prefix}{spec.name}**: {md_escape(spec.help_summary(prefix))}",
        _("Usage: `{usage}`").format(usage=spec.usage(prefix)),
    ]
    if spec.details:
        parts.append(spec.help_details(prefix))
    if spec.aliases:
        parts.append(
            _("Also: {names}").format(names=", ".join(f"`{prefix}{a}`" for a in spec.aliases))
        )
    if spec.perm.name != "USER":
        parts.append(_("For {who} only.").format(who=_(spec.perm.value)))
    return Reply("\n\n".join(parts))
