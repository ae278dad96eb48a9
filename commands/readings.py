"""!readings: the suggested readings, searchable by words in title or author."""

from __future__ import annotations

from natm_bot.api import Context, Reply, Rest, command, md_escape
from natm_bot.config.content import Reading


def _line(ctx: Context, reading: Reading) -> str:
    authors = md_escape(", ".join(reading.authors))
    title = md_escape(reading.title)
    title = f"_{title}_" if reading.kind == "book" else f"“{title}”"
    if reading.link:
        title = f"[{title}]({reading.link})"
    where = ", ".join(
        md_escape(part)
        for part in (reading.venue, reading.details, reading.date or str(reading.year))
        if part
    )
    return f"{title}: {authors}. {where}."


def _matches(reading: Reading, words: list[str]) -> bool:
    haystack = " ".join([reading.title, *reading.authors, reading.venue or ""]).casefold()
    return all(word in haystack for word in words)


@command("readings", aliases=("reading", "lecturas", "lectures", "leituras"))
async def readings(ctx: Context, words: Rest | None = None) -> Reply:
    """Suggested readings, searchable by words in a title or an author's name

    `!readings intro` gives the two short introductions to start with.
    `!readings colonial` finds readings with “colonial” in the title or an author's name.
    """
    all_readings = ctx.content.readings
    words = words or Rest("")
    wanted = words.casefold().split()
    if wanted == ["intro"]:
        found = [r for r in all_readings if r.intro]
        heading = "**Start here: two short introductions**"
    elif wanted:
        found = [r for r in all_readings if _matches(r, wanted)]
        shown = md_escape(words[:100])
        heading = f"**Readings matching “{shown}”**"
        if not found:
            return Reply(
                f"No reading matches “{shown}”. Try one word from a title or an author's "
                f"name, or `{ctx.prefix}readings` for the whole list."
            )
    else:
        found = list(all_readings)
        heading = f"**Suggested readings** ({len(found)}; introductions first)"
    lines = [f"{i}. {_line(ctx, r)}" for i, r in enumerate(found, 1)]
    return Reply(heading + "\n\n" + "\n".join(lines))
