"""!principles: the movement's five principles, quoted as written."""

from __future__ import annotations

from natm_bot.api import Context, Reply, UsageError, command, counting_number, md_escape
from natm_bot.config.content import Principle
from natm_bot.core.i18n import SOURCE_LANGUAGE, _


def _translation_note(ctx: Context, shown: list[Principle]) -> list[str]:
    """The label under a translation: the wiki's English is the authoritative text."""
    translated = ctx.lang != SOURCE_LANGUAGE and any(ctx.lang in p.text for p in shown)
    if not translated:
        return []
    return [
        _(
            "_This is a translation: the English text on the movement's wiki is the "
            "authoritative one._"
        )
    ]


@command("principles", aliases=("principle", "principios", "principes", "princípios"))
async def principles(ctx: Context, n: str | None = None) -> Reply:
    """The movement's principles, or just one: {prefix}principles 3

    Quoted exactly as the movement wrote them on its wiki; translations are labelled as such.
    """
    items = ctx.content.principles
    if n is None:
        lines = [f"{p.number}. **{ctx.t(p.title)}** {ctx.t(p.text)}" for p in items]
        name = md_escape(ctx.content.about.name)
        title = _("**The principles of the {name}**").format(name=name)
        source = _("_Source: {source}_").format(source=ctx.t(ctx.content.principles_source))
        parts = [title, "\n".join(lines), source, *_translation_note(ctx, items)]
        return Reply("\n\n".join(parts))
    number = counting_number(n, len(items))
    if number is None:
        raise UsageError(
            _(
                "There are {count} principles: give a number from 1 to {count}, not “{typed}”."
            ).format(count=len(items), typed=md_escape(n[:40]))
        )
    p = items[number - 1]
    heading = _("Principle {number} of {count}: {title}").format(
        number=p.number, count=len(items), title=ctx.t(p.title)
    )
    return Reply("\n\n".join([f"**{heading}** {ctx.t(p.text)}", *_translation_note(ctx, [p])]))
