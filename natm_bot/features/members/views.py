"""How the members directory reads in chat: names, lines, cards, pages."""

from __future__ import annotations

from typing import Protocol

from natm_bot.config.countries import country_name, language_name
from natm_bot.engine.rendering import md_escape
from natm_bot.features.members.directory import Search
from natm_bot.storage.members import Application, Organisation

SNIPPET = 100


class CategoryNames(Protocol):
    """Names member categories in the reply language."""

    def category_name(self, category_id: str) -> str:
        """A category's name (its id if it is no longer declared)."""


def code(text: str) -> str:
    """User text made safe inside a `code span`: one line, no backticks, not too long."""
    return " ".join(text.replace("`", "'").split())[:80]


def bold(org: Organisation) -> str:
    """The organisation's name in bold, with its number."""
    return f"**{md_escape(org.info.name)}** (#{org.id})"


def where(names: CategoryNames, org: Organisation) -> str:
    """Country · category."""
    category = names.category_name(org.info.category)
    return f"{md_escape(country_name(org.info.country))} · {md_escape(category)}"


def snippet(text: str) -> str:
    """The start of a description, cut at a word."""
    short = text if len(text) <= SNIPPET else text[: SNIPPET - 1].rsplit(" ", 1)[0] + "…"
    return md_escape(short)


def line(names: CategoryNames, org: Organisation) -> str:
    """A list item for search results."""
    return f"- {bold(org)}, {where(names, org)}: {snippet(org.info.description)}"


def navigation(prefix: str, command_text: str, page: int, pages: int) -> str:
    """Where the next and previous pages are (nothing when there is one page)."""
    if pages <= 1:
        return ""
    base = f"{prefix}{command_text}"
    links = [f"next: `{base} page {page + 1}`"] if page < pages else []
    links += [f"previous: `{base} page {page - 1}`"] if page > 1 else []
    return f"\n\nPage {page} of {pages} · " + " · ".join(links)


def found_title(names: CategoryNames, result: Search) -> str:
    """What was searched for, in bold."""
    if result.kind == "category":
        return f"**{md_escape(names.category_name(result.value))}**"
    if result.kind == "country":
        return f"**{md_escape(country_name(result.value))}**"
    return f"**“{md_escape(result.value)}”**"


def card(names: CategoryNames, org: Organisation) -> str:
    """Everything listed about one organisation."""
    info = org.info
    lines = [
        f"- Category: {md_escape(names.category_name(info.category))}",
        f"- Country: {md_escape(country_name(info.country))} ({info.country})",
    ]
    if info.languages:
        languages = [language_name(c) or c for c in info.languages]
        lines.append(f"- Languages: {md_escape(', '.join(languages))}")
    lines.append(f"- Website: {md_escape(info.website)}")
    if info.contact:
        lines.append(f"- On Matrix: {md_escape(info.contact)}")
    lines.append(f"- Member since {org.joined.isoformat()}")
    return f"{bold(org)}\n\n{md_escape(info.description)}\n\n" + "\n".join(lines)


def pending_line(names: CategoryNames, application: Application) -> str:
    """A list item for an application waiting for a decision, with everything in it."""
    info = application.info
    extras = [md_escape(info.website)]
    if info.languages:
        extras.append("languages " + ", ".join(info.languages))
    if info.contact:
        extras.append(f"contact {md_escape(info.contact)}")
    return (
        f"- **#{application.id}: {md_escape(info.name)}**, "
        f"{md_escape(country_name(info.country))} · "
        f"{md_escape(names.category_name(info.category))} · {' · '.join(extras)}; "
        f"from {md_escape(application.applicant)} on {application.applied_at:%Y-%m-%d}: "
        f"{md_escape(info.description)}"
    )


def supporter_count(count: int) -> str:
    """`1 supporter`, `3 supporters`."""
    return f"{count} supporter{'s' if count != 1 else ''}"
