"""!principles: the movement's five principles, quoted as written."""

from __future__ import annotations

from natm_bot.api import Context, Reply, UsageError, command, counting_number, md_escape


@command("principles", aliases=("principle", "principios", "principes", "princípios"))
async def principles(ctx: Context, n: str | None = None) -> Reply:
    """The movement's principles, or just one: !principles 3

    Quoted exactly as the movement wrote them on its wiki.
    """
    items = ctx.content.principles
    if n is None:
        lines = [f"{p.number}. **{ctx.t(p.title)}** {ctx.t(p.text)}" for p in items]
        title = f"**The principles of the {md_escape(ctx.content.about.name)}**"
        source = f"_Source: {ctx.t(ctx.content.principles_source)}_"
        return Reply("\n\n".join([title, "\n".join(lines), source]))
    number = counting_number(n, len(items))
    if number is None:
        raise UsageError(
            f"There are {len(items)} principles: give a number from 1 to {len(items)}, "
            f"not “{md_escape(n[:40])}”."
        )
    p = items[number - 1]
    return Reply(f"**Principle {p.number} of {len(items)}: {ctx.t(p.title)}** {ctx.t(p.text)}")
