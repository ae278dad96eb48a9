"""Shell commands that work on the database without connecting to Matrix."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TextIO

import yaml

from natm_bot.app import App
from natm_bot.config.content import GroupsFile
from natm_bot.config.settings import Config
from natm_bot.config.validation import FileProblems, validate_file
from natm_bot.core.errors import CommandError
from natm_bot.core.i18n import ngettext
from natm_bot.core.text import write_csv
from natm_bot.features.groups.export import signup_row, write_signups_csv
from natm_bot.features.groups.views import describe_import
from natm_bot.features.members.fields import EDITABLE
from natm_bot.transport.memory import MemoryTransport


@asynccontextmanager
async def offline_app(config: Config) -> AsyncIterator[App]:
    """The app over its database, with no homeserver connection."""
    app = App(config, MemoryTransport())
    await app.start()
    try:
        yield app
    finally:
        await app.close()


async def export_signups(config: Config, group: str | None, form: str, out: TextIO) -> int:
    """Write sign-ups as CSV or JSON; exit code 1 for an unknown group."""
    async with offline_app(config) as app:
        try:
            only = await app.groups.resolve(group) if group else None
        except CommandError as exc:
            print(f"natm-bot: {exc}", file=sys.stderr)
            return 1
        signups = await app.groups.signups(group_id=only.id if only else None)
    if form == "json":
        json.dump([signup_row(s) for s in signups], out, indent=2)
        out.write("\n")
    else:
        write_signups_csv(out, signups)
    return 0


async def import_groups(config: Config, out: TextIO) -> int:
    """Re-read groups.yaml into the database, keeping sign-ups and what is run in chat;
    exit code 1 when a name in the file is taken by a group made in chat."""
    async with offline_app(config) as app:
        seeds = validate_file(GroupsFile, app.data_dir / "groups.yaml").groups
        try:
            outcome = await app.groups.import_seeds(seeds)
        except CommandError as exc:
            print(f"natm-bot: {exc}", file=sys.stderr)
            return 1
    out.writelines(f"{line}\n" for line in describe_import(outcome))
    return 0


async def export_members(config: Config, form: str, out: TextIO) -> int:
    """Write the member directory as CSV, JSON or YAML, in the columns an import reads."""
    async with offline_app(config) as app:
        rows = await app.members.export_rows()
    if form == "json":
        json.dump(rows, out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif form == "yaml":
        yaml.safe_dump({"members": rows}, out, allow_unicode=True, sort_keys=False, width=99)
    else:
        write_csv(out, EDITABLE, ([_flat(row)[key] for key in EDITABLE] for row in rows))
    return 0


def _flat(row: dict[str, Any]) -> dict[str, str]:
    """A member row for CSV: languages joined by commas, no contact as an empty cell."""
    return {
        key: ",".join(value) if isinstance(value, list) else "" if value is None else str(value)
        for key, value in row.items()
    }


async def import_members(config: Config, path: Path, out: TextIO, err: TextIO) -> int:
    """Add or update the organisations of a YAML or CSV file; every problem with its row,
    and then nothing imported (exit code 1)."""
    async with offline_app(config) as app:
        try:
            outcome = await app.members.import_file(path)
        except FileProblems as exc:
            if exc.note:
                print(f"Read {path.name} as {exc.note}.", file=err)
            for line in exc.problems:
                print(line, file=err)
            count = len(exc.problems)
            found = ngettext("{count} problem found", "{count} problems found", count)
            print(found.format(count=count) + "; nothing was imported.", file=err)
            return 1
    if outcome.read_as:
        out.write(f"Read {path.name} as {outcome.read_as}.\n")
    added = ngettext(
        "{count} organisation added", "{count} organisations added", outcome.added
    ).format(count=outcome.added)
    out.write(f"Imported {path.name}: {added}, {outcome.updated} updated.\n")
    return 0


async def export_ics(config: Config, out: TextIO) -> int:
    """Write every planned meeting as one iCalendar file."""
    from natm_bot.features.meetings.ical import calendar, calendar_domain

    async with offline_app(config) as app:
        meetings = await app.meetings.active()
        data = calendar(meetings, calendar_domain(config), app.clock.now())
    out.write(data.decode())
    return 0
