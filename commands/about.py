"""!about and !glossary: what the movement is, how to take part, and the words it uses."""

from __future__ import annotations

import difflib

from natm_bot.api import Context, NotFound, Reply, Rest, command, md_escape
from natm_bot.config.content import Term
from natm_bot.core.text import name_key


@command("about", aliases=("natm", "info", "acerca", "apropos", "sobre"))
async def about(ctx: Context) -> Reply:
    """What NATM is and how to get involved"""
    info = ctx.content.about
    email = ctx.config.movement.email_list
    ways = [
        f"Read the principles: `{ctx.prefix}principles`",
        f"See the working groups and join one: `{ctx.prefix}groups`",
        f"Start reading: `{ctx.prefix}readings intro`",
        f"Community forum: {info.forum}",
        f"Website: {info.website}",
    ]
    if email:
        ways.append(f"Email list: {md_escape(email)}")
    ways.append(f"On social media: {md_escape(info.hashtag)}")
    parts = [
        f"**{md_escape(info.name)} ({md_escape(info.short_name)})**",
        ctx.t(info.summary),
        "**How to get involved**",
        ctx.t(info.get_involved),
        "\n".join(f"- {way}" for way in ways),
    ]
    return Reply("\n\n".join(parts))


def _names(ctx: Context, term: Term) -> list[str]:
    return [name_key(n) for n in (*term.term.values(), term.id, *term.aliases)]


def _find(ctx: Context, query: str) -> Term | None:
    wanted = name_key(query)
    for term in ctx.content.terms:
        if wanted in _names(ctx, term):
            return term
    prefixed = [t for t in ctx.content.terms if any(n.startswith(wanted) for n in _names(ctx, t))]
    return prefixed[0] if len(prefixed) == 1 else None


@command("glossary", aliases=("define", "term", "glosario", "glossaire", "glossario"))
async def glossary(ctx: Context, term: Rest | None = None) -> Reply:
    """Key words of the movement, explained

    Example: `!glossary fediverse`
    """
    terms = ctx.content.terms
    if not term or not term.strip():
        listing = "\n".join(f"- {ctx.t(t.term)}" for t in terms)
        return Reply(f"**Glossary**\n\n{listing}\n\nAsk about one: `{ctx.prefix}glossary <term>`")
    found = _find(ctx, term)
    if found is None:
        every = [n for t in terms for n in _names(ctx, t)]
        close = difflib.get_close_matches(name_key(term), every, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise NotFound(
            f"“{md_escape(term[:60])}” is not in the glossary.{md_escape(hint)} "
            f"`{ctx.prefix}glossary` lists every term."
        )
    see = [t for t in terms if t.id in found.see_also]
    text = f"**{ctx.t(found.term)}**: {ctx.t(found.definition)}"
    if see:
        text += "\n\nSee also: " + ", ".join(ctx.t(t.term) for t in see)
    return Reply(text)
