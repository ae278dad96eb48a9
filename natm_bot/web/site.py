"""The public page and the calendar feeds: read-only, in four languages, without tracking."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from natm_bot.config.content import Content, localized
from natm_bot.core.clock import Clock
from natm_bot.core.i18n import LANGUAGES, _, language, speaking
from natm_bot.core.messages import RoomId
from natm_bot.core.text import without_matrix_ids
from natm_bot.features.groups.service import GroupService
from natm_bot.features.meetings.ical import calendar
from natm_bot.features.meetings.minutes_public import PublicMinutes
from natm_bot.features.meetings.service import MeetingService
from natm_bot.features.members.service import MemberService
from natm_bot.features.polls.service import PollService
from natm_bot.features.statements.service import Statements
from natm_bot.transport import SendFailed
from natm_bot.web.language import chosen
from natm_bot.web.statements import StatementPages
from natm_bot.web.texts import LANGUAGE_NAMES, page_texts
from natm_bot.web.views import (
    decision_view,
    group_views,
    meeting_view,
    minutes_view,
    org_view,
)

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
UPCOMING = 20  # meetings on /meetings
MAX_QUERY = 200  # characters of a member search read
MAX_PAGE = 10_000
STATIC = {"style.css": "text/css", "localtime.js": "text/javascript"}
PAGES = {"/": "index", "/readings": "readings", "/groups": "groups", "/members": "members"}
PAGES["/meetings"] = "meetings"
PAGES["/decisions"] = "decisions"
PAGES["/minutes"] = "minutes"
PAGES["/statements"] = "statements"
STATEMENT = "/statements/{id:[a-z0-9-]{1,40}}"
DECISIONS_PAGE = 20  # outcomes on one page of /decisions
MINUTES_PAGE = 20  # occurrences on one page of /minutes
HELD = "/minutes/{meeting:[0-9]{1,9}}/{day:[0-9]{4}-[0-9]{2}-[0-9]{2}}"
Values = dict[str, Any]


@dataclass(frozen=True)
class Sources:
    """What the pages show, each from its own feature (never storage, never the App)."""

    content: Content
    groups: GroupService
    members: MemberService
    meetings: MeetingService
    clock: Clock
    polls: PollService
    public_rooms: Callable[[], Awaitable[frozenset[str]]]  # the ids of the public rooms
    minutes: PublicMinutes
    statements: Statements


@dataclass(frozen=True)
class SiteSettings:
    """The page's settings, from bot.yaml."""

    default_language: str
    zones: tuple[str, ...]  # the coalition's time zones
    rooms: tuple[str, ...]  # public room addresses, #room:server
    domain: str  # in calendar event ids
    prefix: str  # the bot's command prefix, shown before the commands the page names
    base_path: str = ""  # the path the reverse proxy serves the page under (`/bot`)
    public_url: str | None = None  # where people reach the page, for links in the feeds
    welcomes: bool = False  # newcomers to the movement's rooms are welcomed by direct message


class PublicSite:
    """Adds the public routes to a listener's application."""

    def __init__(self, sources: Sources, settings: SiteSettings) -> None:
        self._sources = sources
        self._settings = settings
        self._jinja = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._static = {name: (HERE / "static" / name).read_bytes() for name in STATIC}
        self._statements = StatementPages(
            sources.statements, sources.content, domain=settings.domain,
            base=(settings.public_url or settings.base_path), lang=settings.default_language,
        )  # fmt: skip
        self._values: dict[str, Callable[[web.Request], Awaitable[Values]]] = {
            "index": self._index,
            "readings": self._readings,
            "groups": self._groups,
            "members": self._members,
            "meetings": self._meetings,
            "decisions": self._decisions,
            "minutes": self._minutes,
            "held": self._held,
            "statements": self._statements.listing,
            "statement": self._statements.one,
        }

    def install(self, app: web.Application) -> None:
        """Serve the pages, the feeds and the static files under `app`."""
        router = app.router
        for path, name in PAGES.items():
            handler = self._handler(name, path)
            router.add_get(path, handler)
            router.add_get("/{lang:en|es|fr|pt}" + path, handler)
        held = self._handler("held", "/minutes")
        router.add_get(HELD, held)
        router.add_get("/{lang:en|es|fr|pt}" + HELD, held)
        statement = self._handler("statement", "/statements")
        router.add_get(STATEMENT, statement)
        router.add_get("/{lang:en|es|fr|pt}" + STATEMENT, statement)
        router.add_get("/statements.atom", self._statements.atom)
        router.add_get("/{lang:en|es|fr|pt}", self._handler("index", "/"))
        router.add_get("/calendar.ics", self._feed)
        router.add_get("/groups/{group}/calendar.ics", self._group_feed)
        router.add_get("/static/{name}", self._static_file)

    def _handler(self, name: str, path: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            found = request.match_info
            if name == "statement":  # one statement: its own address
                return await self._page(request, name, f"/statements/{found['id']}")
            if name != "held":
                return await self._page(request, name, path)
            # one occurrence's minutes: its own address
            return await self._page(request, name, f"/minutes/{found['meeting']}/{found['day']}")

        return handle

    async def _page(self, request: web.Request, name: str, path: str) -> web.Response:
        lang, picked = chosen(request, self._settings.default_language)
        with speaking(lang):
            values = await self._values[name](request)
            values.update(self._frame(request, path, picked))
            html = self._jinja.get_template(f"{name}.html").render(values)
        headers = {"Content-Language": lang, "Vary": "Accept-Language"}
        return web.Response(text=html, content_type="text/html", headers=headers)

    def _frame(self, request: web.Request, path: str, picked: bool) -> Values:
        """What every page has: its texts, language, links and language switch."""
        lang, base = language(), self._settings.base_path
        prefix = f"{base}/{lang}" if picked else base
        kept = {k: v for k, v in request.query.items() if k in ("q", "page")}
        query = f"?{urlencode(kept)}" if kept else ""
        switch = [
            (code, LANGUAGE_NAMES[code], f"{base}/{code}{path.rstrip('/')}{query}")
            for code in LANGUAGES
        ]
        links = {page: prefix + (p if p != "/" else "/") for p, page in PAGES.items()}
        return {
            "t": page_texts(),
            "lang": lang,
            "switch": switch,
            "links": links,
            "here": PAGES.get(path, "statements" if path.startswith("/statements") else "minutes"),
            "static": f"{base}/static",
            "feed": f"{base}/calendar.ics",
            "base": base,
            "prefix": self._settings.prefix,
        }

    async def _index(self, request: web.Request) -> Values:
        content, lang = self._sources.content, language()
        about = content.about
        upcoming = await self._upcoming(1)
        return {
            "title": about.name,
            "summary": localized(about.summary, lang),
            "get_involved": localized(about.get_involved, lang),
            "principles": [
                (p.number, localized(p.title, lang), localized(p.text, lang))
                for p in content.principles
            ],
            "source": localized(content.principles_source, lang),
            "rooms": [(room, f"https://matrix.to/#/{room}") for room in self._settings.rooms],
            "website": about.website,
            "forum": about.forum,
            "next": upcoming[0] if upcoming else None,
            "welcomes": self._settings.welcomes,
        }

    async def _readings(self, request: web.Request) -> Values:
        lang = language()
        readings = [
            (r, localized(r.note, lang) if r.note else "") for r in self._sources.content.readings
        ]
        return {"title": _("Readings"), "readings": readings}

    async def _groups(self, request: web.Request) -> Values:
        service = self._sources.groups
        views = group_views(await service.all(), await service.counts())
        return {"title": _("Working groups"), "groups": views}

    async def _members(self, request: web.Request) -> Values:
        query = " ".join(request.query.get("q", "").split())[:MAX_QUERY]
        page = _page_number(request.query.get("page", "1"))
        members, content = self._sources.members, self._sources.content
        values: Values = {"title": _("Members"), "q": query, "result": None, "orgs": []}
        overview = await members.overview()
        values["categories"] = [
            (c.id, localized(c.name, language()), n) for c, n in overview.counts
        ]
        values["total"] = overview.total
        found = await members.search(query, page) if query else None
        shown = found.items if found else overview.newest
        values["orgs"] = [org_view(org, content) for org in shown]
        values["result"] = found
        return values

    async def _meetings(self, request: web.Request) -> Values:
        return {"title": _("Meetings"), "meetings": await self._upcoming(UPCOMING)}

    async def _decisions(self, request: web.Request) -> Values:
        page = _page_number(request.query.get("page", "1"))
        rooms = await self._sources.public_rooms()
        found, pages = await self._sources.polls.public_decisions(rooms, page, DECISIONS_PAGE)
        zone, texts = self._settings.zones[0] if self._settings.zones else "UTC", page_texts()
        return {
            "title": _("Decisions"),
            "decisions": [decision_view(d, zone, texts) for d in found],
            "page": min(page, pages),
            "pages": pages,
        }

    async def _minutes(self, request: web.Request) -> Values:
        page = _page_number(request.query.get("page", "1"))
        rooms = await self._sources.public_rooms()
        found, pages = await self._sources.minutes.page(rooms, page, MINUTES_PAGE)
        return {
            "title": _("Minutes"),
            "minutes": [minutes_view(m) for m in found],
            "page": min(page, pages),
            "pages": pages,
        }

    async def _held(self, request: web.Request) -> Values:
        """One occurrence's minutes; 404 when they are not public or not there."""
        try:
            day = date.fromisoformat(request.match_info["day"])
        except ValueError:
            raise web.HTTPNotFound() from None
        meeting = int(request.match_info["meeting"])
        rooms = await self._sources.public_rooms()
        found = await self._sources.minutes.one(rooms, meeting, day)
        if found is None:
            raise web.HTTPNotFound()
        view = minutes_view(found)
        return {"title": view.title, "held": view}

    async def _upcoming(self, limit: int) -> list[Any]:
        now = self._sources.clock.now()
        found = await self._sources.meetings.upcoming(now, limit)
        zones = self._settings.zones
        return [meeting_view(m, moment, zones, now) for m, moment in found]

    async def _feed(self, request: web.Request) -> web.Response:
        meetings = await self._sources.meetings.active()
        return await self._calendar(meetings, "NATM meetings", "natm-meetings.ics")

    async def _group_feed(self, request: web.Request) -> web.Response:
        wanted = request.match_info["group"]
        group = next((g for g in await self._sources.groups.all() if g.id == wanted), None)
        if group is None:
            raise web.HTTPNotFound()
        meetings = [m for m in await self._sources.meetings.active() if m.group_id == group.id]
        name = f"NATM: {without_matrix_ids(group.name)}"
        return await self._calendar(meetings, name, f"natm-{group.id}.ics")

    async def _calendar(self, meetings: list[Any], name: str, filename: str) -> web.Response:
        now, settings = self._sources.clock.now(), self._settings
        links = await self._minutes_links(meetings)
        with speaking(settings.default_language):
            data = calendar(meetings, settings.domain, now, name=name, public=True, minutes=links)
        headers = {"Content-Disposition": f'inline; filename="{filename}"'}
        return web.Response(
            body=data, content_type="text/calendar", charset="utf-8", headers=headers
        )

    async def _minutes_links(self, meetings: list[Any]) -> dict[int, dict[int, str]]:
        """The address of the posted minutes of each public meeting's occurrences, when the
        page's public address is known."""
        base = self._settings.public_url
        if base is None:
            return {}
        rooms = await self._sources.public_rooms()
        held = await self._sources.minutes.linked(rooms, meetings)
        return {
            meeting: {
                key: f"{base}/minutes/{meeting}/{day.isoformat()}" for key, day in days.items()
            }
            for meeting, days in held.items()
        }

    async def _static_file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        headers = {"Cache-Control": "public, max-age=3600"}
        return web.Response(body=self._static[name], content_type=STATIC[name], headers=headers)


def _page_number(text: str) -> int:
    """A page number from the address; 1 when it is not one."""
    number = int(text) if text.isdigit() and len(text) <= 6 else 1
    return min(max(number, 1), MAX_PAGE)


def public_room_ids(
    resolve: Callable[[RoomId], Awaitable[RoomId]], rooms: tuple[str, ...]
) -> Callable[[], Awaitable[frozenset[str]]]:
    """The ids of the public rooms, their addresses resolved each time they are asked for
    (one that does not resolve now is left out until it does)."""

    async def ids() -> frozenset[str]:
        found = set()
        for room in rooms:
            try:
                found.add(str(await resolve(RoomId(room))))
            except (SendFailed, OSError) as exc:
                log.info("the public room %s is not on the page now: %s", room, exc)
        return frozenset(found)

    return ids
