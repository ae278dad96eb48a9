"""The statements on the public page (`/statements`, `/statements/<id>`) and their Atom feed
(`/statements.atom`): new statements, new versions, milestones reached. Public endorsing
organisations by name, country and category; private ones as a count; supporters as a
count; nothing about any person."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from natm_bot.config.content import Content
from natm_bot.core.errors import NotFound, UsageError
from natm_bot.core.i18n import _, language, ngettext, speaking
from natm_bot.core.text import without_matrix_ids
from natm_bot.features.statements.reading import statement_id
from natm_bot.features.statements.service import Standing, Statements
from natm_bot.web.views import OrgView, org_view

ATOM = "http://www.w3.org/2005/Atom"
TAG_YEAR = "2026"  # the year in every tag: URI of the feed; never to change
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class StatementView:
    """One statement as the page shows it."""

    id: str
    title: str
    version: int
    text: str
    original: bool
    public: tuple[OrgView, ...]
    private: int
    pending: int
    supporters: int

    @property
    def private_note(self) -> str:
        """How many endorse without being named ("" when none)."""
        note = ngettext(
            "and {count} organisation that asked not to be named",
            "and {count} organisations that asked not to be named",
            self.private,
        )
        return note.format(count=self.private) if self.private else ""

    @property
    def pending_note(self) -> str:
        """How many have yet to confirm the current version ("" when none)."""
        note = ngettext(
            "{count} organisation is asked to confirm this version",
            "{count} organisations are asked to confirm this version",
            self.pending,
        )
        return note.format(count=self.pending) if self.pending else ""


def statement_view(standing: Standing, content: Content) -> StatementView:
    """A statement in the language in force: only what is public about its endorsers."""
    current = standing.of("current")
    return StatementView(
        id=standing.statement.id,
        title=without_matrix_ids(standing.statement.title),
        version=standing.statement.version,
        text=without_matrix_ids(standing.text),
        original=standing.original,
        public=tuple(org_view(e.organisation, content) for e in current if e.public),
        private=sum(1 for e in current if not e.public),
        pending=len(standing.of("pending")),
        supporters=standing.supporters,
    )


class StatementPages:
    """The values of the statements' pages, and the Atom feed."""

    def __init__(
        self, statements: Statements, content: Content, *, domain: str, base: str, lang: str
    ) -> None:
        self._statements = statements
        self._content = content
        self._domain = domain
        self._base = base  # where the page is reached, for the feed's links
        self._language = lang

    async def listing(self, request: web.Request) -> dict[str, Any]:
        """Every statement with its public and private endorsers."""
        views = [
            statement_view(await self._statements.standing(s.id, language()), self._content)
            for s in await self._statements.all()
        ]
        return {"title": _("Statements"), "statements": views}

    async def one(self, request: web.Request) -> dict[str, Any]:
        """One statement; 404 when the address names none."""
        try:
            wanted = statement_id(request.match_info["id"])
            standing = await self._statements.standing(wanted, language())
        except (UsageError, NotFound):
            raise web.HTTPNotFound() from None
        view = statement_view(standing, self._content)
        return {"title": view.title, "statement": view}

    async def atom(self, request: web.Request) -> web.Response:
        """The Atom feed of new statements, new versions and milestones reached."""
        with speaking(self._language):
            entries = await self._entries()
            feed = ET.Element("feed", xmlns=ATOM)
            ET.SubElement(feed, "id").text = self._tag("statements")
            ET.SubElement(feed, "title").text = _("Statements")
            author = ET.SubElement(feed, "author")  # RFC 4287: a feed names its author
            ET.SubElement(author, "name").text = self._content.about.name
            updated = max((when for when, *_rest in entries), default=EPOCH)
            ET.SubElement(feed, "updated").text = updated.isoformat()
            ET.SubElement(feed, "link", rel="self", href=f"{self._base}/statements.atom")
            ET.SubElement(feed, "link", rel="alternate", href=f"{self._base}/statements")
            for when, tag, title, statement in sorted(entries, reverse=True):
                entry = ET.SubElement(feed, "entry")
                ET.SubElement(entry, "id").text = self._tag(tag)
                ET.SubElement(entry, "title").text = title
                ET.SubElement(entry, "updated").text = when.isoformat()
                ET.SubElement(entry, "link", href=f"{self._base}/statements/{statement}")
        body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
        return web.Response(body=body, content_type="application/atom+xml", charset="utf-8")

    async def _entries(self) -> list[tuple[datetime, str, str, str]]:
        """(when, tag, title, statement) of every new statement, version and milestone."""
        entries = []
        titles = {}
        for s in await self._statements.all():
            titles[s.id] = title = without_matrix_ids(s.title)
            entries.append(
                (
                    s.created_at,
                    f"statement/{s.id}/v1",
                    _("New statement: {title}").format(title=title),
                    s.id,
                )
            )
            if s.version > 1:
                text = _("{title}: version {version}").format(title=title, version=s.version)
                entries.append((s.versioned_at, f"statement/{s.id}/v{s.version}", text, s.id))
        for m in await self._statements.milestones():
            text = _("{title}: {count} member organisations endorse it").format(
                title=titles.get(m.statement, m.statement), count=m.milestone
            )
            entries.append(
                (
                    m.reached_at,
                    f"statement/{m.statement}/milestone/{m.milestone}",
                    text,
                    m.statement,
                )
            )
        return entries

    def _tag(self, specific: str) -> str:
        """A stable `tag:` URI (RFC 4151) of the feed or one of its entries."""
        return f"tag:{self._domain},{TAG_YEAR}:{specific}"
