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
from datetime import datetime
from pathlib import Path, PurePosixPath

from natm_bot.config.settings import Config
from natm_bot.matrix.session import Credentials, store_dir
from natm_bot.storage.inspection import InspectionError, copy_database, is_database

TOP = PurePosixPath("natm-bot-backup")
MANIFEST = TOP / "manifest.json"
DATABASE = TOP / "database.sqlite3"
CONFIG = TOP / "bot.yaml"
STORE = TOP / "store"
FORMAT = 1
# The files of the store a backup keeps: the login, and each device's encryption store
# (SQLite) with nio's lists of trusted, blacklisted and ignored devices. Not the -wal and
# -shm of a live store (its copy holds them), nor half-written files.
CREDENTIALS = "credentials.json"
STORE_ENDINGS = (".db", ".trusted_devices", ".blacklisted_devices", ".ignored_devices")


def kept_in_store(name: str) -> bool:
    """Whether a file of the store folder belongs in a backup (and so may be restored)."""
    plain = name not in ("", ".", "..") and "/" not in name and not name.startswith(".")
    return plain and (name == CREDENTIALS or name.endswith(STORE_ENDINGS))


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
        if not path.is_file() or not kept_in_store(path.name):
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
