"""The members directory: checking organisations' fields, search with pages, applications,
imports and exports, and supporters counted by keyed hash."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from natm_bot.config.content import MemberCategory, localized
from natm_bot.config.countries import country_code, is_language
from natm_bot.config.validation import MXID_RE, ROOM_RE, FileProblems, Loc, parse_yaml
from natm_bot.core.errors import CommandError, NotFound, UsageError
from natm_bot.core.text import checked, csv_value, fold, plain_url
from natm_bot.engine.rendering import md_escape
from natm_bot.storage.database import Database
from natm_bot.storage.members import (
    Application,
    Found,
    MemberStore,
    NameTaken,
    Organisation,
    OrgInfo,
)

__all__ = ["Application", "MemberService", "OrgInfo", "Organisation"]

log = logging.getLogger(__name__)

FIELDS = ("name", "category", "country", "languages", "website", "description", "contact")
REQUIRED = ("name", "category", "country", "website", "description")
EDITABLE = (*FIELDS, "joined")
PAGE_SIZE = 10
NEWEST = 5
MAX_DESCRIPTION = 600
MAX_PENDING_PER_PERSON = 3
SUPPORTER_KEY = "supporter_key"
SEEDED = "members_seeded"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Problem:
    """One field that cannot be accepted, and why (plain text, user text not escaped)."""

    field: str
    message: str

    def markdown(self) -> str:
        """A Markdown list item naming the field."""
        return f"- `{self.field}`: {md_escape(self.message)}"


class InvalidFields(UsageError):
    """Some fields of an application or an edit cannot be accepted; each has its own line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        intro = "This field needs" if count == 1 else f"These {count} fields need"
        lines = "\n".join(p.markdown() for p in self.problems)
        super().__init__(f"{intro} fixing; nothing was saved:\n\n{lines}")


@dataclass(frozen=True)
class Overview:
    """The directory at a glance: counts per category and the newest members."""

    total: int
    counts: tuple[tuple[MemberCategory, int], ...]
    newest: tuple[Organisation, ...]


SearchKind = Literal["category", "country", "words"]


@dataclass(frozen=True)
class Search:
    """One page of search results and what the query was understood as."""

    kind: SearchKind
    value: str  # the category id, the country code, or the words as typed
    total: int
    page: int
    items: tuple[Organisation, ...]

    @property
    def pages(self) -> int:
        """How many pages the results fill (at least 1)."""
        return max(1, -(-self.total // PAGE_SIZE))


@dataclass(frozen=True)
class Pending:
    """One page of the applications waiting for a decision."""

    total: int
    page: int
    items: tuple[Application, ...]

    @property
    def pages(self) -> int:
        """How many pages the applications fill (at least 1)."""
        return max(1, -(-self.total // PAGE_SIZE))


@dataclass(frozen=True)
class Imported:
    """What an import did."""

    added: int
    updated: int


def _today() -> date:
    return datetime.now(UTC).date()


def _key(text: str) -> str:
    return fold(text.replace("-", " ").replace("_", " "))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _name(text: str) -> str:
    name = _one_line(text)
    if not 2 <= len(name) <= 120:
        raise ValueError(f"needs 2 to 120 characters; this one has {len(name)}.")
    return name


def _country(text: str) -> str:
    code = country_code(text)
    if code is None:
        raise ValueError(
            f"“{text[:60]}” is not a country: use a two-letter ISO 3166 code like KE for Kenya,"
            " or the country's name."
        )
    return code


def _languages(text: str) -> tuple[str, ...]:
    codes = [code.strip().lower() for code in re.split(r"[,\s]+", text) if code.strip()]
    wrong = [code for code in codes if not is_language(code)]
    if wrong:
        raise ValueError(
            f"“{', '.join(wrong)[:60]}” is not a language code: use two-letter ISO 639-1 codes"
            " separated by commas, like en,sw."
        )
    if len(codes) > 20:
        raise ValueError("list at most 20 languages.")
    return tuple(dict.fromkeys(codes))


def _website(text: str) -> str:
    try:
        return plain_url(text, max_length=300)
    except ValueError as exc:
        raise ValueError(
            "must be a web address starting with http:// or https://, like https://example.org"
            f" ({exc})."
        ) from None


def _description(text: str) -> str:
    description = _one_line(text)  # one paragraph: line breaks become spaces
    if not description:
        raise ValueError("must not be empty.")
    if len(description) > MAX_DESCRIPTION:
        raise ValueError(
            f"is {len(description)} characters long; at most {MAX_DESCRIPTION} are allowed."
        )
    return description


def _contact(text: str) -> str | None:
    contact = text.strip()
    if not contact or contact.lower() == "none":
        return None
    if not (MXID_RE.match(contact) or ROOM_RE.match(contact)) or len(contact) > 255:
        raise ValueError(
            "must be a Matrix room (#room:example.org) or user (@name:example.org), or none."
        )
    return contact


class MemberRules:
    """What an organisation's fields must be: for applications, imports and the check of
    data/members.yaml at start, which has no database yet."""

    def __init__(
        self,
        categories: Sequence[MemberCategory],
        lang: str = "en",
        today: Callable[[], date] = _today,
    ) -> None:
        self.categories = tuple(categories)
        self.lang = lang
        self.today = today

    # --- categories and fields -------------------------------------------------------------

    def category(self, text: str) -> MemberCategory | None:
        """The category meant by its id or its name, case-insensitively."""
        wanted = _key(text)
        for category in self.categories:
            if wanted in (_key(category.id), *(_key(n) for n in category.name.values())):
                return category
        return None

    def category_name(self, category_id: str) -> str:
        """A category's name in the reply language (its id if it is no longer declared)."""
        found = next((c for c in self.categories if c.id == category_id), None)
        return localized(found.name, self.lang) if found else category_id

    def _category(self, text: str) -> str:
        found = self.category(text)
        if found is None:
            ids = ", ".join(c.id for c in self.categories)
            raise ValueError(f"“{text[:60]}” is not a member category: use one of {ids}.")
        return found.id

    def _joined(self, text: str) -> date:
        try:
            day = date.fromisoformat(text.strip()) if _DATE_RE.match(text.strip()) else None
        except ValueError:
            day = None
        if day is None or day > self.today():
            raise ValueError("must be a date like 2024-05-01, not in the future.")
        return day

    def check(
        self, fields: Mapping[str, str], required: Sequence[str] = REQUIRED
    ) -> tuple[dict[str, Any], list[Problem]]:
        """Each given field checked and cleaned; every problem, one per field."""
        checkers: dict[str, Callable[[str], Any]] = {
            "name": _name,
            "category": self._category,
            "country": _country,
            "languages": _languages,
            "website": _website,
            "description": _description,
            "contact": _contact,
            "joined": self._joined,
        }
        values: dict[str, Any] = {}
        problems = [Problem(f, "is missing.") for f in required if f not in fields]
        for field, text in fields.items():
            if not str(text).strip() and field in (*REQUIRED, "joined"):
                if field != "joined":  # no joined date: today, or the one already kept
                    problems.append(Problem(field, "must not be empty."))
                continue
            try:
                values[field] = checkers[field](checked(str(text)))
            except ValueError as exc:  # UnsafeText included: "contains … (U+202E)"
                problems.append(Problem(field, str(exc)))
        return values, problems

    def checked_rows(
        self,
        rows: Sequence[tuple[str, Mapping[str, Any]]],
        filename: str,
        earlier: Sequence[str] = (),
    ) -> list[tuple[OrgInfo, date | None]]:
        """Each labelled row checked like an application (plus `joined`); FileProblems lists
        every problem as `file: row: field: message`, after those met `earlier` reading it."""
        problems = list(earlier)
        checked: list[tuple[OrgInfo, date | None]] = []
        seen: dict[str, str] = {}
        for label, row in rows:
            unknown = sorted(set(row) - set(EDITABLE))
            problems += [f"{filename}: {label}: {key}: unknown field" for key in unknown]
            values, found = self.check({k: _text(v) for k, v in row.items() if k in EDITABLE})
            problems += [f"{filename}: {label}: {p.field}: {p.message}" for p in found]
            if "name" in values:
                key = _key(values["name"])
                if key in seen:
                    problems.append(f"{filename}: {label}: name: repeats {seen[key]}")
                seen.setdefault(key, label)
            if not found and not unknown:
                joined = values.pop("joined", None)
                checked.append((OrgInfo(**values), joined))
        if problems:
            raise FileProblems(problems)
        return checked


class MemberService(MemberRules):
    """Everything the bot does with the members directory, for commands, the CLI and tests."""

    def __init__(
        self,
        db: Database,
        categories: Sequence[MemberCategory],
        lang: str = "en",
        today: Callable[[], date] = _today,
    ) -> None:
        super().__init__(categories, lang, today)
        self.store = MemberStore(db)
        self._db = db
        self._supporter_key: bytes | None = None

    # --- reading the directory -------------------------------------------------------------

    async def overview(self) -> Overview:
        """Counts per category (every declared one, even empty) and the newest members."""
        counts = await self.store.count_by_category()
        per_category = tuple((c, counts.get(c.id, 0)) for c in self.categories)
        newest = await self.store.newest(NEWEST)
        return Overview(sum(counts.values()), per_category, newest)

    async def search(self, query: str, page: int = 1) -> Search:
        """A category, else a country (code or name), else words that must all match."""
        offset = (page - 1) * PAGE_SIZE
        category = self.category(query)
        if category is not None:
            found = await self.store.in_category(category.id, offset, PAGE_SIZE)
            return self._search("category", category.id, found, page)
        code = country_code(query)
        if code is not None:
            found = await self.store.in_country(code, offset, PAGE_SIZE)
            return self._search("country", code, found, page)
        found = await self.store.matching(query.split(), offset, PAGE_SIZE)
        return self._search("words", _one_line(query), found, page)

    @staticmethod
    def _search(kind: SearchKind, value: str, found: Found, page: int) -> Search:
        return Search(kind, value, found.total, page, found.items)

    async def find(self, text: str) -> tuple[Organisation, ...]:
        """The organisation meant by a number or exact name; else those whose name matches
        every word (at most PAGE_SIZE + 1, to tell that there are more)."""
        bare = text.strip().removeprefix("#")
        if re.fullmatch(r"[0-9]{1,18}", bare):
            found = await self.store.get(int(bare))
            return (found,) if found else ()
        exact = await self.store.named(text)
        if exact is not None:
            return (exact,)
        return (await self.store.matching(text.split(), 0, PAGE_SIZE + 1, names_only=True)).items

    async def get(self, number: int) -> Organisation:
        """One organisation by number, or NotFound."""
        found = await self.store.get(number) if _storable(number) else None
        if found is None:
            raise NotFound(f"There is no member organisation number {number}.")
        return found

    # --- applications ----------------------------------------------------------------------

    async def apply(self, fields: Mapping[str, str], applicant: str) -> Application:
        """Check every field and queue the application; InvalidFields lists each problem."""
        if await self.store.pending_by(applicant) >= MAX_PENDING_PER_PERSON:
            raise CommandError(
                f"You already have {MAX_PENDING_PER_PERSON} applications waiting; please wait"
                " until an admin has decided on them."
            )
        values, problems = self.check(fields)
        if "name" in values and (used := await self.store.name_used(values["name"])):
            problems.insert(0, _name_problem(values["name"], used))
        if problems:
            raise InvalidFields(problems)
        try:
            return await self.store.apply(OrgInfo(**values), applicant)
        except NameTaken as exc:
            raise InvalidFields([_name_problem(values["name"], exc.where)]) from None

    async def pending(self, page: int = 1) -> Pending:
        """One page of the waiting applications, oldest first."""
        total, items = await self.store.pending((page - 1) * PAGE_SIZE, PAGE_SIZE)
        return Pending(total, page, items)

    async def approve(self, number: int) -> tuple[Application, Organisation]:
        """List the organisation of an application, joined today; the application is erased."""
        if not _storable(number):
            raise NotFound(f"There is no pending application number {number}.")
        try:
            done = await self.store.approve(number, self.today())
        except NameTaken:
            raise CommandError(
                f"An organisation with the name of application {number} is already listed;"
                " reject the application instead."
            ) from None
        if done is None:
            raise NotFound(f"There is no pending application number {number}.")
        await self._db.checkpoint()  # so the applicant's id leaves the WAL file as well
        return done

    async def reject(self, number: int) -> Application:
        """Erase an application (and with it the applicant's id); what it was."""
        application = await self.store.reject(number) if _storable(number) else None
        if application is None:
            raise NotFound(f"There is no pending application number {number}.")
        await self._db.checkpoint()
        return application

    async def edit(self, number: int, fields: Mapping[str, str]) -> Organisation:
        """Change some fields of a listed organisation; InvalidFields lists each problem."""
        current = await self.get(number)
        values, problems = self.check(fields, required=())
        if problems:
            raise InvalidFields(problems)
        joined = values.pop("joined", current.joined)
        try:
            updated = await self.store.update(number, replace(current.info, **values), joined)
        except NameTaken:
            raise InvalidFields([_name_problem(values["name"], "listed")]) from None
        if updated is None:
            raise NotFound(f"There is no member organisation number {number}.")
        return updated

    async def remove(self, number: int) -> Organisation:
        """Take an organisation off the directory; what it was."""
        removed = await self.store.remove(number) if _storable(number) else None
        if removed is None:
            raise NotFound(f"There is no member organisation number {number}.")
        return removed

    # --- files -----------------------------------------------------------------------------

    async def seed(self, path: Path) -> int:
        """On first start, list the organisations of data/members.yaml; how many were added.

        A file with problems is logged and tried again at the next start."""
        if await self.store.state(SEEDED) is not None:
            return 0
        added = 0
        if await asyncio.to_thread(path.exists):
            try:
                added = (await self.import_file(path)).added
            except FileProblems as exc:
                for problem in exc.problems:
                    log.error("not seeding the members directory: %s", problem)
                return 0
        await self.store.keep_state(SEEDED, self.today().isoformat())
        return added

    async def import_file(self, path: Path) -> Imported:
        """Add or update (by name) every organisation of a YAML or CSV file, or none at all:
        FileProblems lists every problem with its row."""
        rows, problems = await asyncio.to_thread(read_rows, path)
        return await self.import_rows(rows, path.name, problems)

    async def import_rows(
        self,
        rows: Sequence[tuple[str, Mapping[str, Any]]],
        source: str,
        earlier: Sequence[str] = (),
    ) -> Imported:
        """Add or update (by name) labelled rows in one transaction, or none: FileProblems
        names `source`, the row and the field of every problem (after those met `earlier`)."""
        checked = self.checked_rows(rows, source, earlier)
        added = await self.store.upsert(checked, self.today())
        return Imported(added, len(checked) - added)

    async def export_rows(self) -> list[dict[str, Any]]:
        """Every organisation as a plain row, in the columns an import reads."""
        return [
            {
                "name": org.info.name,
                "category": org.info.category,
                "country": org.info.country,
                "languages": list(org.info.languages),
                "website": org.info.website,
                "description": org.info.description,
                "contact": org.info.contact,
                "joined": org.joined.isoformat(),
            }
            for org in await self.store.all()
        ]

    # --- supporters ------------------------------------------------------------------------

    async def ensure_supporter_key(self, configured: str | None) -> None:
        """Use the configured key, else the one stored in the database (made on first start)."""
        stored = await self.store.state(SUPPORTER_KEY)
        if configured:
            if stored is not None and await self.store.supporter_count():
                log.warning(
                    "movement.supporter_key is set, but supporters were counted with the key"
                    " generated earlier: they will be counted again if they repeat !support"
                )
            self._supporter_key = configured.encode()
            return
        if stored is None:
            stored = await self.store.keep_state(SUPPORTER_KEY, secrets.token_hex(32))
        self._supporter_key = stored.encode()

    def _digest(self, user: str) -> str:
        if self._supporter_key is None:
            raise RuntimeError("the supporter key is not loaded: call ensure_supporter_key")
        return hmac.new(self._supporter_key, user.encode(), hashlib.sha256).hexdigest()

    def supporter_digest(self, user: str) -> str:
        """The keyed digest that stands for the person among supporters."""
        return self._digest(user)

    async def is_supporter(self, user: str) -> bool:
        """Whether the person declared support (looked up by digest)."""
        return await self.store.has_supporter(self._digest(user))

    async def support(self, user: str) -> bool:
        """Count a person as a supporter; False when they already were one."""
        return await self.store.add_supporter(self._digest(user))

    async def withdraw_support(self, user: str) -> bool:
        """Stop counting a person as a supporter; False when they were not one."""
        withdrawn = await self.store.remove_supporter(self._digest(user))
        if withdrawn:
            await self._db.checkpoint()
        return withdrawn

    async def supporter_count(self) -> int:
        """How many people declared their support."""
        return await self.store.supporter_count()


def _storable(number: int) -> bool:
    """Whether a number typed in chat can be a row id at all (SQLite has 64-bit integers)."""
    return 0 < number < 1 << 63


def _name_problem(name: str, where: str) -> Problem:
    if where == "listed":
        return Problem("name", f"“{name}” is already listed as a member.")
    return Problem("name", f"an application for “{name}” is already waiting for a decision.")


def _text(value: Any) -> str:
    """A value from YAML or CSV as the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def check_file(path: Path, categories: Sequence[MemberCategory], today: date) -> None:
    """FileProblems naming every problem an import of this members file would meet."""
    rows, problems = read_rows(path, str(path))
    MemberRules(categories, today=lambda: today).checked_rows(rows, str(path), problems)


def read_rows(
    path: Path, filename: str | None = None
) -> tuple[list[tuple[str, Mapping[str, Any]]], list[str]]:
    """The rows of a members file, each with a label for messages (`row 3`, `entry 2`), and
    the problems of its shape (named `filename`, by default the file's name).

    CSV (by extension) has a header row, so its first organisation is row 2 as in a
    spreadsheet; YAML has a `members:` list, numbered from 1."""
    name = filename or path.name
    if path.suffix.lower() == ".csv":
        return _csv_rows(path, name), []
    data, repeated = parse_yaml(path)
    members = data.get("members") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(members, list | None):
        raise FileProblems([f"{name}: must hold a list under the key `members:`"])
    problems = [f"{name}: {_label(loc)}: {message}" for loc, message in repeated]
    rows: list[tuple[str, Mapping[str, Any]]] = []
    for number, entry in enumerate(members or [], start=1):
        if isinstance(entry, dict):
            rows.append((f"entry {number}", {str(k).lower(): v for k, v in entry.items()}))
        else:
            problems.append(f"{name}: entry {number}: must be a mapping of fields")
    return rows, problems


def _label(loc: Loc) -> str:
    """`members.2.name` as the rows are named: `entry 3: name`."""
    if len(loc) > 1 and loc[0] == "members" and isinstance(loc[1], int):
        return ": ".join([f"entry {loc[1] + 1}", *(str(part) for part in loc[2:])])
    return ".".join(str(part) for part in loc)


def _cell(value: str | list[str] | None) -> str | list[str] | None:
    """A cell as written, the quote that kept a spreadsheet from running it taken off."""
    return csv_value(value) if isinstance(value, str) else value


def _csv_rows(path: Path, name: str) -> list[tuple[str, Mapping[str, Any]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            return [
                (f"row {number}", {str(k).strip().lower(): _cell(v) for k, v in row.items() if k})
                for number, row in enumerate(reader, start=2)
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise FileProblems([f"{name}: cannot be read as CSV: {exc}"]) from None
