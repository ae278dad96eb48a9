"""Members files: data/members.yaml seeded on first start, YAML or CSV imports, exports."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from natm_bot.config.content import MemberCategory
from natm_bot.config.validation import FileProblems, Loc, parse_yaml
from natm_bot.core.csvfile import UnreadableTable, read_table
from natm_bot.core.i18n import _
from natm_bot.core.text import csv_value
from natm_bot.features.members.fields import MemberRules
from natm_bot.storage.members import MemberStore
from natm_bot.storage.state import MEMBERS_SEEDED, State

log = logging.getLogger(__name__)

Rows = list[tuple[str, Mapping[str, Any]]]


@dataclass(frozen=True)
class Imported:
    """What an import did, and how its file was read (`semicolon-separated, Windows-1252`
    for a CSV file, empty otherwise)."""

    added: int
    updated: int
    read_as: str = ""


@dataclass(frozen=True)
class MembersFile:
    """The rows of a members file, each labelled for messages (`row 3`, `entry 2`), the
    problems of its shape, and how it was read (for CSV)."""

    rows: Rows
    problems: list[str]
    read_as: str = ""


class MemberFiles:
    """Imports into the directory and exports out of it, all or nothing."""

    def __init__(self, store: MemberStore, state: State, rules: MemberRules) -> None:
        self._store = store
        self._state = state
        self._rules = rules

    async def seed(self, path: Path) -> int:
        """On first start, list the organisations of data/members.yaml; how many were added.

        A file with problems is logged and tried again at the next start."""
        if await self._state.get(MEMBERS_SEEDED) is not None:
            return 0
        added = 0
        if await asyncio.to_thread(path.exists):
            try:
                added = (await self.import_file(path)).added
            except FileProblems as exc:
                for problem in exc.problems:
                    log.error("not seeding the members directory: %s", problem)
                return 0
        await self._state.keep(MEMBERS_SEEDED, self._rules.today().isoformat())
        return added

    async def import_file(self, path: Path) -> Imported:
        """Add or update (by name) every organisation of a YAML or CSV file, or none at all:
        FileProblems lists every problem with its row (and says how a CSV file was read)."""
        found = await asyncio.to_thread(read_rows, path)
        try:
            done = await self.import_rows(found.rows, path.name, found.problems)
        except FileProblems as exc:
            raise FileProblems(exc.problems, note=found.read_as) from None
        return replace(done, read_as=found.read_as)

    async def import_rows(
        self,
        rows: Sequence[tuple[str, Mapping[str, Any]]],
        source: str,
        earlier: Sequence[str] = (),
    ) -> Imported:
        """Add or update (by name) labelled rows in one transaction, or none: FileProblems
        names `source`, the row and the field of every problem (after those met `earlier`)."""
        checked = self._rules.checked_rows(rows, source, earlier)
        added = await self._store.upsert(checked, self._rules.today())
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
            for org in await self._store.all()
        ]


def check_file(path: Path, categories: Sequence[MemberCategory], today: date) -> None:
    """FileProblems naming every problem an import of this members file would meet."""
    found = read_rows(path, str(path))
    MemberRules(categories, today=lambda: today).checked_rows(
        found.rows, str(path), found.problems
    )


def read_rows(path: Path, filename: str | None = None) -> MembersFile:
    """The rows of a members file and the problems of its shape (named `filename`, by
    default the file's name).

    CSV (by extension) has a header row, so its first organisation is row 2 as in a
    spreadsheet; YAML has a `members:` list, numbered from 1."""
    name = filename or path.name
    if path.suffix.lower() == ".csv":
        return _csv_rows(path, name)
    data, repeated = parse_yaml(path)
    members = data.get("members") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(members, list | None):
        raise FileProblems([name + ": " + _("must hold a list under the key `members:`")])
    problems = [f"{name}: {_label(loc)}: {message}" for loc, message in repeated]
    rows: Rows = []
    for number, entry in enumerate(members or [], start=1):
        if isinstance(entry, dict):
            rows.append((_entry(number), {str(k).lower(): v for k, v in entry.items()}))
        else:
            mapping = _("must be a mapping of fields")
            problems.append(f"{name}: {_entry(number)}: {mapping}")
    return MembersFile(rows, problems)


def _entry(number: int) -> str:
    """`entry 3`: an organisation of a YAML file, numbered from 1."""
    return _("entry {number}").format(number=number)


def _label(loc: Loc) -> str:
    """`members.2.name` as the rows are named: `entry 3: name`."""
    if len(loc) > 1 and loc[0] == "members" and isinstance(loc[1], int):
        return ": ".join([_entry(loc[1] + 1), *(str(part) for part in loc[2:])])
    return ".".join(str(part) for part in loc)


def _cell(value: str | list[str] | None) -> str | list[str] | None:
    """A cell as written, the quote that kept a spreadsheet from running it taken off."""
    return csv_value(value) if isinstance(value, str) else value


def _csv_rows(path: Path, name: str) -> MembersFile:
    """The organisations of a CSV file, whatever separator and encoding it was saved with;
    rows with no cell filled in (a spreadsheet saves them as `;;;`) are skipped."""
    try:
        table = read_table(path.read_bytes())
    except OSError as exc:
        unreadable = _("cannot be read: {problem}").format(problem=exc.strerror)
        raise FileProblems([f"{name}: {unreadable}"]) from None
    except UnreadableTable as exc:
        unreadable = _("cannot be read as CSV: {problem}").format(problem=exc)
        raise FileProblems([f"{name}: {unreadable}"]) from None
    filled = [(n, cells) for n, cells in enumerate(table.rows, 1) if any(c.strip() for c in cells)]
    header = [cell.strip().lower() for cell in filled[0][1]] if filled else []
    rows: Rows = []
    for number, cells in filled[1:]:
        row = {key: _cell(cells[at]) if at < len(cells) else None for at, key in enumerate(header)}
        rows.append((_("row {number}").format(number=number), {k: v for k, v in row.items() if k}))
    return MembersFile(rows, [], table.describe())
