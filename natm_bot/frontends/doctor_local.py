"""The checks of `natm-bot doctor` that need no homeserver: file modes and the database."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from natm_bot.config.settings import Config
from natm_bot.storage.inspection import InspectionError, RoomsInUse, health, rooms_in_use


@dataclass(frozen=True)
class Finding:
    """One line of the report: what was checked, and whether it is well (else what to do)."""

    ok: bool
    topic: str
    text: str

    def __str__(self) -> str:
        return f"{'ok' if self.ok else 'PROBLEM'} {self.topic}: {self.text}"


def _private(path: Path) -> Finding | None:
    """A problem when other users may read (or enter) `path`."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if not mode & 0o077:
        return None
    wanted = "700" if path.is_dir() else "600"
    return Finding(
        False,
        "files",
        f"{path} can be read by other users (mode {mode:o}): chmod {wanted} {path}",
    )


def private_files(config: Config, store: Path | None) -> list[Finding]:
    """The database (with its -wal and -shm), the store folder and everything in it
    (credentials.json, the encryption keys) must be readable by the bot's user only."""
    database = config.resolve(config.paths.database)
    paths = [database, *(database.with_name(database.name + end) for end in ("-wal", "-shm"))]
    if store is not None:
        paths.append(store)
        if store.is_dir():
            paths += sorted(p for p in store.iterdir() if not p.is_symlink())
    found = [finding for path in paths if (finding := _private(path)) is not None]
    return found or [
        Finding(True, "files", "the database and the store are readable by their owner only")
    ]


def database(config: Config) -> tuple[list[Finding], RoomsInUse | None]:
    """The integrity check and schema version; the rooms the database names, when readable."""
    path = config.resolve(config.paths.database)
    if not path.exists():
        fix = "start the bot once (`natm-bot run`) or restore a backup (`natm-bot restore`)"
        return [Finding(False, "database", f"{path} does not exist: {fix}")], None
    try:
        result = health(path)
        rooms = rooms_in_use(path) if result.version == result.known else None
    except InspectionError as exc:
        fix = "stop the bot and restore the latest backup (`natm-bot restore --force`)"
        return [Finding(False, "database", f"{exc}: {fix}")], None
    if result.problems:
        first = result.problems[0]
        more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
        text = (
            f"{path} failed SQLite's integrity check: {first}{more}: stop the bot and "
            "restore the latest backup (`natm-bot restore`)"
        )
        return [Finding(False, "database", text)], rooms
    if result.version > result.known:
        text = (
            f"{path} has schema version {result.version}, newer than this natm-bot knows "
            f"({result.known}): upgrade natm-bot or restore a backup made with this version"
        )
        return [Finding(False, "database", text)], None
    if result.version < result.known:
        text = (
            f"{path} passes the integrity check; schema version {result.version} is upgraded "
            f"to {result.known} at the next start"
        )
        return [Finding(True, "database", text)], None
    text = f"{path} passes the integrity check; schema version {result.version} (current)"
    return [Finding(True, "database", text)], rooms
