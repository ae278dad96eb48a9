"""!about and !glossary: what the movement is, how to take part, and the words it uses."""

from __future__ import annotations

import difflib

from natm_bot.api import Context, NotFound, Reply, Rest, command, md_escape
from natm_bot.config.content import Term
from natm_bot.core.i18n import _
from natm_bot.core.text import name_key


@command("about", aliases=("natm", "info", "acerca", "apropos", "sobre"))
async def about(ctx: Context) -> Reply:
    """What NATM is and how to get involved"""
    info = ctx.content.about
    email = ctx.config.movement.email_list
    p = ctx.prefix
    ways = [
        _("Read the principles: `{command}`").format(command=f"{p}principles"),
        _("See the working groups and join one: `{command}`").format(command=f"{p}groups"),
        _("Start reading: `{command}`").format(command=f"{p}readings intro"),
        _("Community forum: {link}").format(link=info.forum),
        _("Website: {link}").format(link=info.website),
    ]
    if email:
        ways.append(_("Email list: {address}").format(address=md_escape(email)))
    ways.append(_("On social media: {hashtag}").format(hashtag=md_escape(info.hashtag)))
    parts = [
        f"**{md_escape(info.name)} ({md_escape(info.short_name)})**",
        ctx.t(info.summary),
        "**" + _("How to get involved") + "**",
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

    Example: `{prefix}glossary fediverse`
    """
    terms = ctx.content.terms
    if not term or not term.strip():
        listing = "\n".join(f"- {ctx.t(t.term)}" for t in terms)
        ask = _("Ask about one: `{command}`").format(command=ctx.prefix + _("glossary <term>"))
        return Reply("**" + _("Glossary") + f"**\n\n{listing}\n\n{ask}")
    found = _find(ctx, term)
    if found is None:
        every = [n for t in terms for n in _names(ctx, t)]
        close = difflib.get_close_matches(name_key(term), every, n=3, cutoff=0.5)
        hint = _("Did you mean: {names}?").format(names=", ".join(close)) if close else ""
        missing = _("“{typed}” is not in the glossary.").format(typed=md_escape(term[:60]))
        lists = _("`{command}` lists every term.").format(command=f"{ctx.prefix}glossary")
        return_hint = f" {md_escape(hint)}" if hint else ""
        raise NotFound(f"{missing}{return_hint} {lists}")
    see = [t for t in terms if t.id in found.see_also]
    text = f"**{ctx.t(found.term)}**: {ctx.t(found.definition)}"
    if see:
        text += "\n\n" + _("See also: {terms}").format(terms=", ".join(ctx.t(t.term) for t in see))
    return Reply(text)
