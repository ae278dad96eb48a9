"""!groups: the movement's working groups."""

from __future__ import annotations

from natm_bot.api import Context, Reply, command, md_escape


@command("groups", aliases=("workinggroups", "grupos", "groupes"))
async def groups(ctx: Context) -> Reply:
    """The working groups and what each one does"""
    entries = ctx.content.groups
    if not entries:
        return Reply("There are no working groups yet.")
    lines = []
    for group in entries:
        state = "" if group.open else " (closed to new members)"
        lines.append(f"- **{md_escape(group.name)}**{state}: {ctx.t(group.description)}")
    return Reply("**Working groups**\n\n" + "\n".join(lines))
