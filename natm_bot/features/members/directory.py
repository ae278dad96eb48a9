"""The listed organisations: counts, search by category, country or words, and changes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from natm_bot.config.content import MemberCategory
from natm_bot.config.countries import country_code
from natm_bot.core.errors import NotFound
from natm_bot.core.i18n import _
from natm_bot.features.members.errors import InvalidFields, name_problem
from natm_bot.features.members.fields import MemberRules, one_line
from natm_bot.storage.members import Found, MemberStore, NameTaken, Organisation

PAGE_SIZE = 10
NEWEST = 5

SearchKind = Literal["category", "country", "words"]


def pages_for(total: int) -> int:
    """How many pages of PAGE_SIZE `total` items fill (at least 1)."""
    return max(1, -(-total // PAGE_SIZE))


def storable(number: int) -> bool:
    """Whether a number typed in chat can be a row id at all (SQLite has 64-bit integers)."""
    return 0 < number < 1 << 63


@dataclass(frozen=True)
class Overview:
    """The directory at a glance: counts per category and the newest members."""

    total: int
    counts: tuple[tuple[MemberCategory, int], ...]
    newest: tuple[Organisation, ...]


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
        return pages_for(self.total)


class Directory:
    """Reading the directory, and an admin's edits and removals."""

    def __init__(self, store: MemberStore, rules: MemberRules) -> None:
        self._store = store
        self._rules = rules

    async def overview(self) -> Overview:
        """Counts per category (every declared one, even empty) and the newest members."""
        counts = await self._store.count_by_category()
        per_category = tuple((c, counts.get(c.id, 0)) for c in self._rules.categories)
        newest = await self._store.newest(NEWEST)
        return Overview(sum(counts.values()), per_category, newest)

    async def search(self, query: str, page: int = 1) -> Search:
        """A category, else a country (code or name), else words that must all match."""
        offset = (page - 1) * PAGE_SIZE
        category = self._rules.category(query)
        if category is not None:
            found = await self._store.in_category(category.id, offset, PAGE_SIZE)
            return _search("category", category.id, found, page)
        code = country_code(query)
        if code is not None:
            found = await self._store.in_country(code, offset, PAGE_SIZE)
            return _search("country", code, found, page)
        found = await self._store.matching(query.split(), offset, PAGE_SIZE)
        return _search("words", one_line(query), found, page)

    async def find(self, text: str) -> tuple[Organisation, ...]:
        """The organisation meant by a number or exact name; else those whose name matches
        every word (at most PAGE_SIZE + 1, to tell that there are more)."""
        if re.fullmatch(r"[0-9]{1,18}", text.strip().removeprefix("#")):
            found = await self.exactly(text)
            return (found,) if found else ()
        exact = await self.exactly(text)
        if exact is not None:
            return (exact,)
        words = text.split()
        return (await self._store.matching(words, 0, PAGE_SIZE + 1, names_only=True)).items

    async def exactly(self, text: str) -> Organisation | None:
        """The organisation of a number (`12`, `#12`) or of exactly this name, if any."""
        bare = text.strip().removeprefix("#")
        if re.fullmatch(r"[0-9]{1,18}", bare):
            return await self._store.get(int(bare))
        return await self._store.named(text)

    async def get(self, number: int) -> Organisation:
        """One organisation by number, or NotFound."""
        found = await self._store.get(number) if storable(number) else None
        if found is None:
            raise NotFound(
                _("There is no member organisation number {number}.").format(number=number)
            )
        return found

    async def edit(self, number: int, fields: Mapping[str, str]) -> Organisation:
        """Change some fields of a listed organisation; InvalidFields lists each problem."""
        current = await self.get(number)
        values, problems = self._rules.check(fields, required=())
        if problems:
            raise InvalidFields(problems)
        joined = values.pop("joined", current.joined)
        try:
            updated = await self._store.update(number, replace(current.info, **values), joined)
        except NameTaken:
            raise InvalidFields([name_problem(values["name"], "listed")]) from None
        if updated is None:
            raise NotFound(
                _("There is no member organisation number {number}.").format(number=number)
            )
        return updated

    async def remove(self, number: int) -> Organisation:
        """Take an organisation off the directory; what it was."""
        removed = await self._store.remove(number) if storable(number) else None
        if removed is None:
            raise NotFound(
                _("There is no member organisation number {number}.").format(number=number)
            )
        return removed


def _search(kind: SearchKind, value: str, found: Found, page: int) -> Search:
    return Search(kind, value, found.total, page, found.items)
