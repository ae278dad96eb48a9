"""!readings: the suggested readings, searchable by title, author, topic, venue or note."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_skeleton

from natm_bot.api import Context, Reply, Rest, command, md_escape
from natm_bot.config.content import Reading, localized
from natm_bot.core.i18n import _, language, locale
from natm_bot.features.readings import parse_query, search, topic_counts


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


def _topics(ctx: Context) -> Reply:
    """The topics in the reader's language, each with its number of readings."""
    counted = topic_counts(ctx.content.readings, ctx.content.topics)
    if not counted:
        return Reply(_("The readings have no topics yet."))
    lines = [
        f"- {md_escape(localized(topic.name, language()))} ({count})" for topic, count in counted
    ]
    heading = "**" + _("Topics of the readings") + "** "
    hint = _("(`{example}` lists a topic's readings)").format(
        example=f"{ctx.prefix}readings {localized(counted[0][0].name, language())}"
    )
    return Reply(heading + hint + "\n\n" + "\n".join(lines))


@command("readings", aliases=("reading", "lecturas", "lectures", "leituras"))
async def readings(ctx: Context, words: Rest | None = None) -> Reply:
    """Suggested readings, searchable by title, author, topic, venue or note

    `{prefix}readings intro` gives the two short introductions to start with.
    `{prefix}readings topics` lists the topics, with how many readings each has.
    `{prefix}readings colonial` finds readings with a word starting “colonial” in the title, an
    author's name, a topic or the note; titles first. Case and accents do not matter
    (`{prefix}readings mejías`, `{prefix}readings soberania digital`).
    """
    all_readings = ctx.content.readings
    query = parse_query(words or "")
    if query.kind == "topics":
        return _topics(ctx)
    if query.kind == "intro":
        found = [r for r in all_readings if r.intro]
        heading = "**" + _("Start here: two short introductions") + "**"
    elif query.kind == "search":
        found = search(all_readings, ctx.content.topics, query.words)
        shown = md_escape((words or "")[:100])
        heading = "**" + _("Readings matching “{typed}”").format(typed=shown) + "**"
        if not found:
            return Reply(
                _(
                    "No reading matches “{typed}”. Try a word from a title, an author's name "
                    "or a topic (`{topics}`), or `{all}` for the whole list."
                ).format(
                    typed=shown, topics=f"{ctx.prefix}readings topics", all=f"{ctx.prefix}readings"
                )
            )
    else:
        found = list(all_readings)
        title = _("Suggested readings")
        heading = (
            f"**{title}** (" + _("{count}; introductions first").format(count=len(found)) + ")"
        )
    lines = [f"{i}. {_line(ctx, r)}" for i, r in enumerate(found, 1)]
    return Reply(heading + "\n\n" + "\n".join(lines))
