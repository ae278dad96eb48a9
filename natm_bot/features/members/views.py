"""How the members directory reads in chat: names, lines, cards, pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from natm_bot.calendar.timeutil import long_date
from natm_bot.config.countries import country_name, language_name
from natm_bot.core.i18n import _, locale, ngettext
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


def country(code: str) -> str:
    """A country's name in the reply language, from its ISO 3166 code."""
    return str(locale().territories.get(code.upper()) or country_name(code))


def spoken(code: str) -> str:
    """A language's name in the reply language, from its ISO 639-1 code."""
    return str(locale().languages.get(code) or language_name(code) or code)


def where(names: CategoryNames, org: Organisation) -> str:
    """Country · category."""
    category = names.category_name(org.info.category)
    return f"{md_escape(country(org.info.country))} · {md_escape(category)}"


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
    links = [_("next: `{page}`").format(page=f"{base} page {page + 1}")] if page < pages else []
    if page > 1:
        links.append(_("previous: `{page}`").format(page=f"{base} page {page - 1}"))
    where = _("Page {page} of {pages}").format(page=page, pages=pages)
    return f"\n\n{where} · " + " · ".join(links)


def found_title(names: CategoryNames, result: Search) -> str:
    """What was searched for, in bold."""
    if result.kind == "category":
        return f"**{md_escape(names.category_name(result.value))}**"
    if result.kind == "country":
        return f"**{md_escape(country(result.value))}**"
    return f"**“{md_escape(result.value)}”**"


def card(names: CategoryNames, org: Organisation) -> str:
    """Everything listed about one organisation."""
    info = org.info
    category = md_escape(names.category_name(info.category))
    lines = [
        "- " + _("Category: {category}").format(category=category),
        "- "
        + _("Country: {country}").format(country=md_escape(country(info.country)))
        + f" ({info.country})",
    ]
    if info.languages:
        languages = ", ".join(spoken(c) for c in info.languages)
        lines.append("- " + _("Languages: {languages}").format(languages=md_escape(languages)))
    lines.append("- " + _("Website: {website}").format(website=md_escape(info.website)))
    if info.contact:
        lines.append("- " + _("On Matrix: {contact}").format(contact=md_escape(info.contact)))
    lines.append("- " + _("Member since {date}").format(date=long_date(org.joined)))
    return f"{bold(org)}\n\n{md_escape(info.description)}\n\n" + "\n".join(lines)


def pending_line(names: CategoryNames, application: Application) -> str:
    """A list item for an application waiting for a decision, with everything in it."""
    info = application.info
    extras = [md_escape(info.website)]
    if info.languages:
        extras.append(_("languages {codes}").format(codes=", ".join(info.languages)))
    if info.contact:
        extras.append(_("contact {contact}").format(contact=md_escape(info.contact)))
    sender = _("from {applicant} on {date}").format(
        applicant=md_escape(application.applicant), date=f"{application.applied_at:%Y-%m-%d}"
    )
    return (
        f"- **#{application.id}: {md_escape(info.name)}**, "
        f"{md_escape(country(info.country))} · "
        f"{md_escape(names.category_name(info.category))} · {' · '.join(extras)}; "
        f"{sender}: {md_escape(info.description)}"
    )


def supporter_count(count: int) -> str:
    """`1 supporter`, `3 supporters`."""
    return ngettext("{count} supporter", "{count} supporters", count).format(count=count)


def delegates_note(org: Organisation, delegates: Sequence[str], prefix: str) -> str:
    """For admins only: who votes for the organisation in polls, and how to change it."""
    if delegates:
        names = ", ".join(md_escape(user) for user in delegates)
        text = _("Delegates (only admins see them): {names}").format(names=names)
    else:
        text = _("No delegate yet: no one can vote for it in polls open to organisations.")
    how = _("Change them: `{add}` or `{remove}`").format(
        add=f"{prefix}members delegate add {org.id} @…",
        remove=f"{prefix}members delegate remove {org.id} @…",
    )
    return f"{text}\n\n{how}"
