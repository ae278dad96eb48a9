"""`natm-bot backup` and `natm-bot restore`: the database, the Matrix store (credentials and
encryption keys) and the config in one private archive, copied consistently while the bot
runs, and put back in place on another disk or machine."""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TextIO

from natm_bot.config.settings import Config
from natm_bot.matrix.session import Credentials, matrix_section, private_folder, store_dir
from natm_bot.storage.inspection import InspectionError, copy_database, is_database

TOP = PurePosixPath("natm-bot-backup")
MANIFEST = TOP / "manifest.json"
DATABASE = TOP / "database.sqlite3"
CONFIG = TOP / "bot.yaml"
STORE = TOP / "store"
FORMAT = 1
# Files of a live SQLite database that its copy already holds (or that are half written).
SKIPPED_ENDINGS = ("-wal", "-shm", "-journal", ".tmp")


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


def default_name(now: datetime) -> Path:
    """natm-bot-backup-20260131-2359.tar.gz, in the current folder."""
    return Path(f"natm-bot-backup-{now:%Y%m%d-%H%M%S}.tar.gz")


def backup(config: Config, config_path: Path, target: Path, now: datetime) -> Credentials:
    """Write the archive at `target` (created 0600, never over an existing file)."""
    store = store_dir(config)
    credentials = Credentials.load(store)
    database = config.resolve(config.paths.database)
    if not database.exists():
        raise BackupError(f"there is no database at {database} to back up")
    with tempfile.TemporaryDirectory(prefix="natm-bot-backup-") as temp:
        copies = Path(temp)
        try:
            copy_database(database, copies / "database.sqlite3")
            store_files = _copy_store(store, copies / "store")
        except InspectionError as exc:
            raise BackupError(str(exc)) from None
        manifest = {
            "format": FORMAT,
            "created": now.isoformat(timespec="seconds"),
            "user_id": credentials.user_id,
            "device_id": credentials.device_id,
            "homeserver": credentials.homeserver,
        }
        with _private_archive(target) as archive:
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
            archive.add(config_path, str(CONFIG))
            archive.add(copies / "database.sqlite3", str(DATABASE))
            for name in store_files:
                archive.add(copies / "store" / name, str(STORE / name))
    return credentials


def _copy_store(store: Path, into: Path) -> list[str]:
    """Each file of the store: SQLite files (the encryption keys) through the online
    backup, the others (credentials.json) as they are."""
    into.mkdir(mode=0o700)
    names = []
    for path in sorted(store.iterdir()):
        if not path.is_file() or path.name.endswith(SKIPPED_ENDINGS):
            continue
        if is_database(path):
            copy_database(path, into / path.name)
        else:
            fd = os.open(into / path.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(path.read_bytes())
        names.append(path.name)
    return names


@contextmanager
def _private_archive(target: Path) -> Iterator[tarfile.TarFile]:
    """A tar.gz created readable by its owner only from its first byte, and renamed into
    place only once complete."""
    if target.exists():
        raise BackupError(f"{target} exists already: choose another name with -o")
    partial = target.with_name(target.name + ".partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise BackupError(f"cannot create {partial}: {exc}") from None
    try:
        with os.fdopen(fd, "wb") as file:
            with tarfile.open(fileobj=file, mode="w:gz") as archive:
                yield archive
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)


def _add_bytes(archive: tarfile.TarFile, name: PurePosixPath, data: bytes) -> None:
    info = tarfile.TarInfo(str(name))
    info.size = len(data)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


@dataclass(frozen=True)
class Contents:
    """What an archive holds, checked before anything is written."""

    manifest: dict[str, object]
    database: tarfile.TarInfo
    store: list[tarfile.TarInfo]


def _contents(archive: tarfile.TarFile, source: Path) -> Contents:
    members = {PurePosixPath(m.name): m for m in archive.getmembers()}
    if MANIFEST not in members or DATABASE not in members:
        raise BackupError(f"{source} is not a natm-bot backup (no {MANIFEST} or {DATABASE})")
    store = [m for name, m in members.items() if name.parent == STORE]
    if any(PurePosixPath(m.name).name in ("", ".", "..") for m in store):
        raise BackupError(f"{source} names a file outside the store; not restoring it")
    if any(not m.isfile() for m in [members[DATABASE], *store]):
        raise BackupError(f"{source} holds something other than plain files; not restoring it")
    manifest_file = archive.extractfile(members[MANIFEST])
    manifest = json.loads(manifest_file.read()) if manifest_file else {}
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} was made by another version of natm-bot's backup")
    return Contents(manifest, members[DATABASE], store)


def restore(config: Config, source: Path, force: bool, out: TextIO) -> None:
    """Put the archive's database and store at the paths of `config`."""
    database = config.resolve(config.paths.database)
    store = store_dir(config)
    try:
        with tarfile.open(source, mode="r:gz") as archive:
            contents = _contents(archive, source)
            _same_account(config, contents.manifest)
            _make_room(database, store, force)
            _write(archive, contents.database, database)
            private_folder(store)
            for member in contents.store:
                _write(archive, member, store / PurePosixPath(member.name).name)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"restoring {source} failed: {exc}") from None
    print(
        f"Restored the database to {database} and device {contents.manifest['device_id']} of "
        f"{contents.manifest['user_id']} to {store}. The config of the backup is "
        f"{CONFIG} in the archive. Start the bot as usual.",
        file=out,
    )


def _same_account(config: Config, manifest: dict[str, object]) -> None:
    matrix = matrix_section(config)
    theirs = (manifest.get("user_id"), manifest.get("homeserver"))
    if theirs != (matrix.user_id, matrix.homeserver):
        raise BackupError(
            f"the backup is of {theirs[0]} on {theirs[1]}, but the config says "
            f"{matrix.user_id} on {matrix.homeserver}: the bot would refuse to start; "
            "set `matrix.user_id` and `matrix.homeserver` as in the backup's bot.yaml"
        )


def _make_room(database: Path, store: Path, force: bool) -> None:
    """Refuse to overwrite state, unless forced; then remove it (a stale -wal beside a
    restored database would be read as part of it)."""
    existing = [p for p in _database_files(database) if p.exists()]
    if store.is_dir():
        existing += sorted(p for p in store.iterdir() if p.is_file())
    if existing and not force:
        listed = ", ".join(str(p) for p in existing[:3]) + (" …" if len(existing) > 3 else "")
        raise BackupError(
            f"there is state already ({listed}): stop the bot and add --force to replace it, "
            "or point the config at empty paths"
        )
    for path in existing:
        path.unlink()


def _database_files(database: Path) -> list[Path]:
    return [database, *(database.with_name(database.name + end) for end in ("-wal", "-shm"))]


def _write(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    """One file of the archive at `target`, readable by its owner only, written whole."""
    source = archive.extractfile(member)
    if source is None:
        raise BackupError(f"{member.name} cannot be read from the archive")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        while chunk := source.read(1 << 20):
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, target)
