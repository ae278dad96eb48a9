"""!help: generated from the command registry, so it cannot drift from the code."""

from __future__ import annotations

from natm_bot.api import Context, NotFound, Reply, Rest, command, md_escape


@command("help", aliases=("commands", "ayuda", "aide", "ajuda"))
async def help_(ctx: Context, command: Rest | None = None) -> Reply:
    """Every command, or how to use one"""
    prefix = ctx.prefix
    if command is None:
        lines = [
            f"- `{spec.usage(prefix)}`: {md_escape(spec.summary)}"
            for spec in sorted(ctx.registry.commands, key=lambda s: s.name)
            if not spec.hidden and await ctx.app.permissions.allows(spec.perm, ctx.message)
        ]
        return Reply(
            "**What I can do**\n\n"
            + "\n".join(lines)
            + f"\n\nMore about one command: `{prefix}help <command>`"
        )
    name = " ".join(command.removeprefix(prefix).split()[:2])
    spec = ctx.registry.get(name) or ctx.registry.get(name.split(" ")[0])
    if spec is None:
        raise NotFound(
            f"There is no command {md_escape(prefix + name[:40])}. `{prefix}help` lists them all."
        )
    parts = [
        f"**{prefix}{spec.name}**: {md_escape(spec.summary)}",
        f"Usage: `{spec.usage(prefix)}`",
    ]
    if spec.details:
        parts.append(spec.details)
    if spec.aliases:
        parts.append("Also: " + ", ".join(f"`{prefix}{a}`" for a in spec.aliases))
    if spec.perm.name != "USER":
        parts.append(f"For {spec.perm.value} only.")
    return Reply("\n\n".join(parts))
