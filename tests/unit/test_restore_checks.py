"""`natm-bot restore` checks what it restores: an archive that is not a sound backup of the
bot's account is refused in one line, non-zero, with the current state left as it was. The
hostile archives are built here from a real backup; none writes a large file to disk."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import sqlite3
import tarfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from nio.crypto import OlmAccount
from nio.store import DefaultStore

from natm_bot.config.settings import load_config
from natm_bot.frontends import backup
from natm_bot.frontends.cli import main
from natm_bot.matrix.session import Credentials
from natm_bot.storage import Database

USER = "@natm-bot:localhost"
DEVICE = "BACKUPDEV"
TOP = "natm-bot-backup"
Members = dict[str, bytes]


pytestmark = pytest.mark.usefixtures("keep_umask")


def _config(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "bot.yaml"
    config.write_text(
        "paths:\n  database: bot.sqlite3\n"
        f"matrix:\n  homeserver: http://127.0.0.1:9\n  user_id: '{USER}'\n  store_dir: store\n"
    )
    return config


def _state(folder: Path, pickle_key: str = "the-key") -> Path:
    """A bot's folder as `login` and a first start leave it: config, database, store."""
    config = _config(folder)

    async def create() -> None:
        database = Database(folder / "bot.sqlite3")
        await database.open()
        await database.close()

    asyncio.run(create())
    store = folder / "store"
    Credentials("http://127.0.0.1:9", USER, DEVICE, "token", pickle_key).save(store)
    keys = DefaultStore(USER, DEVICE, str(store), pickle_key)
    keys.save_account(OlmAccount())
    keys.database.close()
    return config


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Members:
    """The members of a real backup, by name."""
    folder = tmp_path_factory.mktemp("source")
    config = _state(folder)
    archive = folder / "backup.tar.gz"
    backup.backup(load_config(config), config, archive, datetime(2030, 1, 1, tzinfo=UTC))
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def _archive(path: Path, members: Members) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _restore(
    tmp_path: Path, archive: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    target = tmp_path / "target"
    config = _state(target, pickle_key="the-old-key")
    code = main(["restore", "-c", str(config), "--force", str(archive)])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_sound_backup_is_restored(
    tmp_path: Path, good: Members, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _restore(tmp_path, _archive(tmp_path / "a.tar.gz", good), capsys)
    assert (code, err) == (0, ""), err
    assert "Restored the database (schema version" in out
    store = tmp_path / "target" / "store"
    assert json.loads((store / "credentials.json").read_text())["pickle_key"] == "the-key"
    assert [p.name for p in tmp_path.joinpath("target").iterdir() if p.name.startswith(".")] == []


def _sqlite(data: bytes, work: Callable[[sqlite3.Connection], object], folder: Path) -> bytes:
    path = folder / "work.sqlite3"
    path.write_bytes(data)
    conn = sqlite3.connect(path)
    work(conn)
    conn.commit()
    conn.close()
    return path.read_bytes()


def _newer(members: Members, folder: Path) -> None:
    name = f"{TOP}/database.sqlite3"
    members[name] = _sqlite(
        members[name], lambda c: c.execute("PRAGMA user_version = 999"), folder
    )


def _damaged(pages: slice) -> Callable[[Members, Path], None]:
    def damage(members: Members, folder: Path) -> None:
        name = f"{TOP}/database.sqlite3"
        data = bytearray(members[name])
        size = int.from_bytes(data[16:18], "big")
        for page in range(len(data) // size)[pages]:
            data[page * size : page * size + 8] = b"\xff" * 8
        members[name] = bytes(data)

    return damage


def _bad_freelist(members: Members, folder: Path) -> None:
    """A header counting free pages that are not there: SQLite opens it, its check does not
    pass it."""
    name = f"{TOP}/database.sqlite3"
    members[name] = members[name][:36] + (5).to_bytes(4, "big") + members[name][40:]


def _junk(count: int, ending: str) -> Callable[[Members, Path], None]:
    def add(members: Members, folder: Path) -> None:
        for n in range(count):
            members[f"{TOP}/store/junk{n}{ending}"] = b""

    return add


def _set(name: str, data: bytes) -> Callable[[Members, Path], None]:
    def change(members: Members, folder: Path) -> None:
        members[f"{TOP}/{name}"] = data

    return change


def _drop(name: str) -> Callable[[Members, Path], None]:
    def change(members: Members, folder: Path) -> None:
        del members[f"{TOP}/{name}"]

    return change


def _credentials(**changes: str) -> Callable[[Members, Path], None]:
    def change(members: Members, folder: Path) -> None:
        name = f"{TOP}/store/credentials.json"
        members[name] = json.dumps({**json.loads(members[name]), **changes}).encode()

    return change


CRYPTO = f"store/{USER}_{DEVICE}.db"
HOSTILE = {
    "not-sqlite": (_set("database.sqlite3", b"<html>no</html>" * 100), "not a SQLite database"),
    "damaged-freelist": (_bad_freelist, "fails SQLite's integrity check (*** in database"),
    "damaged-everywhere": (_damaged(slice(1, None)), "is damaged (SQLite cannot read it)"),
    "newer": (_newer, "has schema version 999, newer than this natm-bot knows"),
    "20000-junk-files": (_junk(20_000, ".txt"), "which no backup makes"),
    "too-many-stores": (_junk(30, ".db"), "holds more than 24 files"),
    "escape": (_set("store/../../escaped.db", b"x"), "which no backup makes"),
    "absolute": (_set("/etc/escaped", b"x"), "which no backup makes"),
    "crypto-store-missing": (_drop(CRYPTO), "is missing"),
    "crypto-store-not-sqlite": (_set(CRYPTO, b"\0" * 4096), "is not a SQLite database"),
    "wrong-pickle-key": (_credentials(pickle_key="another"), "does not open"),
    "other-device": (_credentials(device_id="OTHER"), "is not the manifest's device"),
    "no-credentials": (_drop("store/credentials.json"), "no credentials"),
    "manifest-not-json": (_set("manifest.json", b"{{{"), "manifest.json is damaged"),
    "other-account": (
        _set("manifest.json", json.dumps({"format": 1, "user_id": "@x:elsewhere",
             "device_id": DEVICE, "homeserver": "https://elsewhere"}).encode()),
        "the backup is of @x:elsewhere",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_broken_backup_is_refused_leaving_the_state_as_it_was(
    tmp_path: Path, good: Members, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    change, reason = HOSTILE[case]
    members = dict(good)
    change(members, tmp_path)
    archive = _archive(tmp_path / "hostile.tar.gz", members)
    target = tmp_path / "target"
    before = _snapshot(_state(target, pickle_key="the-old-key").parent)
    code = main(["restore", "-c", str(target / "bot.yaml"), "--force", str(archive)])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    [line] = err.splitlines()
    assert line.startswith("natm-bot: ") and reason in line, line
    assert _snapshot(target) == before
    assert not [p for p in target.iterdir() if p.name.startswith(".natm-bot-restore")]


def _huge_header(path: Path, good: Members, name: str, kind: bytes = tarfile.REGTYPE) -> Path:
    """An archive whose member claims 1 TB (or is a link): only its header is written."""
    info = tarfile.TarInfo(f"{TOP}/{name}")
    info.size = 0 if kind != tarfile.REGTYPE else 1 << 40
    info.type = kind
    info.linkname = "/etc/passwd" if kind != tarfile.REGTYPE else ""
    manifest = tarfile.TarInfo(f"{TOP}/manifest.json")
    manifest.size = len(good[f"{TOP}/manifest.json"])
    with gzip.open(path, "wb") as raw:
        raw.write(manifest.tobuf(tarfile.GNU_FORMAT))
        raw.write(good[f"{TOP}/manifest.json"].ljust(512, b"\0"))
        raw.write(info.tobuf(tarfile.GNU_FORMAT))
        raw.write(b"\0" * 4096)  # a few blocks, then the archive just ends
    return path


@pytest.mark.parametrize(
    ("name", "kind", "reason"),
    [
        ("database.sqlite3", tarfile.REGTYPE, "over the 512 MB a backup's file may be"),
        (CRYPTO, tarfile.REGTYPE, "over the 256 MB a backup's file may be"),
        ("store/credentials.json", tarfile.SYMTYPE, "is not a plain file"),
        ("database.sqlite3", tarfile.LNKTYPE, "is not a plain file"),
    ],
)
def test_a_member_claiming_a_terabyte_or_a_link_is_refused_from_its_header(
    tmp_path: Path,
    good: Members,
    capsys: pytest.CaptureFixture[str],
    name: str,
    kind: bytes,
    reason: str,
) -> None:
    archive = _huge_header(tmp_path / "huge.tar.gz", good, name, kind)
    code, out, err = _restore(tmp_path, archive, capsys)
    assert code == 1 and out == ""
    [line] = err.splitlines()
    assert reason in line, line
