"""`natm-bot restore`: a backup's database and Matrix store put back at the config's paths,
only once every file of it has been checked in a staging folder beside them.

An archive is refused, with the current state left as it was, unless it holds only the files
`natm-bot backup` makes, each a plain file within its size bound, with a database that
passes SQLite's integrity check at a schema version this natm-bot knows, and the login and
encryption store of the manifest's device, which open with the login's key."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TextIO

from natm_bot.config.settings import Config
from natm_bot.config.yaml_loader import LIMITS as YAML_LIMITS
from natm_bot.frontends.backup import (
    CONFIG,
    CREDENTIALS,
    DATABASE,
    FORMAT,
    MANIFEST,
    STORE,
    BackupError,
    kept_in_store,
)
from natm_bot.matrix.session import (
    Credentials,
    SessionError,
    crypto_store_problem,
    matrix_section,
    private_folder,
    store_dir,
)
from natm_bot.storage.inspection import InspectionError, health, is_database

MB = 1024 * 1024
# The bounds of a file in a backup (a movement's bot keeps far less), and how many files:
# the manifest, the config, the database, credentials.json, and a few devices' stores.
MAX_DATABASE = 512 * MB
MAX_STORE_FILE = 256 * MB
MAX_SMALL = MB  # the manifest and credentials.json
MAX_CONFIG = YAML_LIMITS.max_bytes  # as for any YAML file the bot reads
MAX_TOTAL = 1024 * MB
MAX_FILES = 24
CREDENTIALS_PATH = STORE / CREDENTIALS


@dataclass(frozen=True)
class Contents:
    """What an archive holds, its names and sizes checked before anything is read."""

    manifest: dict[str, object]
    database: tarfile.TarInfo
    store: list[tarfile.TarInfo]

    @property
    def size(self) -> int:
        """Bytes that restoring writes."""
        return self.database.size + sum(member.size for member in self.store)


def restore(config: Config, source: Path, force: bool, out: TextIO) -> None:
    """Check the archive whole, then put its database and store at the paths of `config`;
    BackupError (nothing changed) when it is not a sound backup of this bot's account."""
    database = config.resolve(config.paths.database)
    store = store_dir(config)
    _existing(database, store, force)  # refuse early; removed only once all is checked
    try:
        with _staging(database.parent) as staging, tarfile.open(source, mode="r:gz") as archive:
            contents = _contents(archive, source)
            _same_account(config, contents.manifest)
            _room_for(staging, contents, source)
            _write(archive, contents.database, staging / "database.sqlite3")
            for member in contents.store:
                _write(archive, member, staging / "store" / PurePosixPath(member.name).name)
            version = _check(config, staging, contents.manifest, source)
            for path in _existing(database, store, force):
                path.unlink()
            _move(staging / "database.sqlite3", database)
            private_folder(store)
            for path in sorted((staging / "store").iterdir()):
                _move(path, store / path.name)
    except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        raise BackupError(f"restoring {source} failed, nothing was changed: {exc}") from None
    print(
        f"Restored the database (schema version {version}, sound) to {database} and device "
        f"{contents.manifest['device_id']} of {contents.manifest['user_id']} to {store}. "
        f"The config of the backup is {CONFIG} in the archive. Start the bot as usual.",
        file=out,
    )


@contextmanager
def _staging(beside: Path) -> Iterator[Path]:
    """A private folder next to the database (same disk: moving out of it is a rename),
    removed afterwards whatever happened."""
    beside.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = Path(tempfile.mkdtemp(prefix=".natm-bot-restore-", dir=beside))
    try:
        (folder / "store").mkdir(mode=0o700)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _contents(archive: tarfile.TarFile, source: Path) -> Contents:
    """The archive's members, refused unless each is a file a backup makes, in its bound."""
    members: dict[PurePosixPath, tarfile.TarInfo] = {}
    while (member := archive.next()) is not None:
        name = PurePosixPath(member.name)
        if len(members) == MAX_FILES:
            raise BackupError(f"{source} holds more than {MAX_FILES} files; not a backup")
        if name in members:
            raise BackupError(f"{source} holds {member.name} twice; not restoring it")
        _acceptable(member, name, source)
        members[name] = member
    if MANIFEST not in members or DATABASE not in members or CONFIG not in members:
        raise BackupError(
            f"{source} is not a natm-bot backup (no {MANIFEST}, {DATABASE} or {CONFIG})"
        )
    store = [m for name, m in members.items() if name.parent == STORE]
    contents = Contents(_manifest(archive, members[MANIFEST], source), members[DATABASE], store)
    if contents.size > MAX_TOTAL:
        raise BackupError(f"{source} would write more than {MAX_TOTAL // MB} MB; not a backup")
    return contents


def _acceptable(member: tarfile.TarInfo, name: PurePosixPath, source: Path) -> None:
    """BackupError unless `member` is a plain file a backup makes, within its size bound."""
    if name in (MANIFEST, CREDENTIALS_PATH):
        bound = MAX_SMALL
    elif name == CONFIG:
        bound = MAX_CONFIG
    elif name == DATABASE:
        bound = MAX_DATABASE
    elif name.parent == STORE and kept_in_store(name.name) and str(name) == member.name:
        bound = MAX_STORE_FILE
    else:
        raise BackupError(f"{source} holds {member.name!r}, which no backup makes; not restoring")
    if not member.isreg() or member.issparse():
        raise BackupError(f"{source}: {member.name} is not a plain file; not restoring it")
    if member.size > bound:
        raise BackupError(
            f"{source}: {member.name} is {member.size / MB:,.0f} MB, over the "
            f"{bound / MB:,.0f} MB a backup's file may be; not restoring it"
        )


Manifest = dict[str, object]


def _manifest(archive: tarfile.TarFile, member: tarfile.TarInfo, source: Path) -> Manifest:
    file = archive.extractfile(member)
    try:
        manifest = json.loads(file.read()) if file else None
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict) or not all(
        isinstance(manifest.get(key), str) for key in ("user_id", "device_id", "homeserver")
    ):
        raise BackupError(f"{source}: {MANIFEST} is damaged; not restoring it")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} was made by another version of natm-bot's backup")
    return manifest


def _same_account(config: Config, manifest: dict[str, object]) -> None:
    matrix = matrix_section(config)
    theirs = (manifest.get("user_id"), manifest.get("homeserver"))
    if theirs != (matrix.user_id, matrix.homeserver):
        raise BackupError(
            f"the backup is of {theirs[0]} on {theirs[1]}, but the config says "
            f"{matrix.user_id} on {matrix.homeserver}: the bot would refuse to start; "
            "set `matrix.user_id` and `matrix.homeserver` as in the backup's bot.yaml"
        )


def _room_for(staging: Path, contents: Contents, source: Path) -> None:
    free = shutil.disk_usage(staging).free
    if contents.size > free:
        raise BackupError(
            f"{source} needs {contents.size / MB:,.0f} MB, but only {free / MB:,.0f} MB are "
            f"free in {staging.parent}; nothing was changed"
        )


def _check(config: Config, staging: Path, manifest: dict[str, object], source: Path) -> int:
    """The staged database's schema version, once database, login and encryption store are
    found sound; BackupError otherwise."""
    version = _sound_database(staging / "database.sqlite3", f"{source}: the database", True)
    store = staging / "store"
    try:
        credentials = Credentials.load(store)
    except SessionError as exc:
        raise BackupError(f"{source}: {exc}; not restoring it") from None
    if (credentials.user_id, credentials.device_id) != (
        manifest["user_id"],
        manifest["device_id"],
    ):
        raise BackupError(f"{source}: {CREDENTIALS} is not the manifest's device; not restoring")
    for path in sorted(store.glob("*.db")):
        _sound_database(path, f"{source}: the encryption store {path.name}", False)
    if matrix_section(config).encryption:
        problem = crypto_store_problem(store, credentials)
        if problem is not None:
            raise BackupError(f"{source}: {problem}; not restoring it")
    return version


def _sound_database(path: Path, what: str, ours: bool) -> int:
    """The schema version of a SQLite file that passes the integrity check and is not newer
    than this natm-bot (when `ours`: nio's stores have versions of their own); BackupError
    naming `what` otherwise."""
    if not is_database(path):
        raise BackupError(f"{what} is not a SQLite database; not restoring it")
    try:
        found = health(path)
    except InspectionError:
        raise BackupError(f"{what} is damaged (SQLite cannot read it); not restoring it") from None
    if found.problems:
        raise BackupError(
            f"{what} fails SQLite's integrity check ({found.problems[0]}); not restoring it"
        )
    if ours and found.version > found.known:
        raise BackupError(
            f"{what} has schema version {found.version}, newer than this natm-bot knows "
            f"({found.known}): upgrade natm-bot first"
        )
    return found.version


def _existing(database: Path, store: Path, force: bool) -> list[Path]:
    """The state a restore replaces; BackupError when there is some and `force` is not set
    (a stale -wal beside a restored database would be read as part of it, so it goes too)."""
    ends = ("", "-wal", "-shm")
    existing = [p for p in (database.with_name(database.name + e) for e in ends) if p.exists()]
    if store.is_dir():
        existing += sorted(p for p in store.iterdir() if p.is_file())
    if existing and not force:
        listed = ", ".join(str(p) for p in existing[:3]) + (" …" if len(existing) > 3 else "")
        raise BackupError(
            f"there is state already ({listed}): stop the bot and add --force to replace it, "
            "or point the config at empty paths"
        )
    return existing


def _write(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    """One file of the archive at `target`, readable by its owner only, at most its
    declared size."""
    source = archive.extractfile(member)
    if source is None:
        raise BackupError(f"{member.name} cannot be read from the archive")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        shutil.copyfileobj(source, handle, 1 << 20)
        handle.flush()
        os.fsync(handle.fileno())


def _move(path: Path, target: Path) -> None:
    """A checked file into place: a rename on the same disk, else a copy then a rename."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.replace(path, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(path, partial)
        os.chmod(partial, 0o600)
        os.replace(partial, target)
