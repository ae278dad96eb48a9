"""!readings: the suggested readings, searchable by words in title or author."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from babel.dates import format_skeleton

from natm_bot.api import Context, Reply, Rest, command, md_escape
from natm_bot.config.content import Reading
from natm_bot.core.i18n import _, locale
from natm_bot.core.text import search_words, word_match


def _when(reading: Reading) -> str:
    """`June 2020` in the reader's language (`junio de 2020`); other dates as written."""
    if not reading.date:
        return str(reading.year)
    try:
        month = datetime.strptime(reading.date, "%B %Y")
    except ValueError:
        return reading.date
    return format_skeleton("yMMMM", month, locale=locale())


def _line(ctx: Context, reading: Reading) -> str:
    authors = md_escape(", ".join(reading.authors))
    title = md_escape(reading.title)
    title = f"_{title}_" if reading.kind == "book" else f"“{title}”"
    if reading.link:
        title = f"[{title}]({reading.link})"
    where = ", ".join(
        md_escape(part) for part in (reading.venue, reading.details, _when(reading)) if part
    )
    return f"{title}: {authors}. {where}."


def _search(readings: Iterable[Reading], wanted: list[str]) -> list[Reading]:
    """The readings whose title, authors or venue hold each word, whole or as a word's
    start (folded: `mejías` finds Mejias); whole-word matches first."""
    scored = []
    for reading in readings:
        text = " ".join([reading.title, *reading.authors, reading.venue or ""])
        score = word_match(wanted, search_words(text))
        if score:
            scored.append((score, reading))
    return [reading for score, reading in sorted(scored, key=lambda pair: -pair[0])]


@command("readings", aliases=("reading", "lecturas", "lectures", "leituras"))
async def readings(ctx: Context, words: Rest | None = None) -> Reply:
    """Suggested readings, searchable by words in a title or an author's name

    `{prefix}readings intro` gives the two short introductions to start with.
    `{prefix}readings colonial` finds readings with a word starting “colonial” in the title or an
    author's name; case and accents do not matter (`{prefix}readings mejías`).
    """
    all_readings = ctx.content.readings
    words = words or Rest("")
    wanted = search_words(words)
    if wanted == ["intro"]:
        found = [r for r in all_readings if r.intro]
        heading = "**" + _("Start here: two short introductions") + "**"
    elif words.strip():
        found = _search(all_readings, wanted)
        shown = md_escape(words[:100])
        heading = "**" + _("Readings matching “{typed}”").format(typed=shown) + "**"
        if not found:
            return Reply(
                _(
                    "No reading matches “{typed}”. Try one word from a title or an author's "
                    "name, or `{all}` for the whole list."
                ).format(typed=shown, all=f"{ctx.prefix}readings")
            )
    else:
        found = list(all_readings)
        title = _("Suggested readings")
        heading = (
            f"**{title}** (" + _("{count}; introductions first").format(count=len(found)) + ")"
        )
    lines = [f"{i}. {_line(ctx, r)}" for i, r in enumerate(found, 1)]
    return Reply(heading + "\n\n" + "\n".join(lines))
