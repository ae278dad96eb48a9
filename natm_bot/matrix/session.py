"""The bot's Matrix login: credentials on disk, one device for life, a crypto store that loads."""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
import time
from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

from aiohttp import ClientError
from nio import AsyncClient, AsyncClientConfig, LoginResponse, SyncResponse
from nio.store import DefaultStore

from natm_bot.config.settings import Config, MatrixSection

log = logging.getLogger(__name__)

CREDENTIALS_FILE = "credentials.json"
T = TypeVar("T")


class CryptoStore(DefaultStore):  # type: ignore[misc]  # nio.* is untyped
    """nio's own crypto store (same file, same tables), given to nio through its public
    `AsyncClientConfig(store=...)`. nio saves the rooms that turned encrypted after every
    sync, in a transaction on the event loop, even when there are none (nearly always):
    about 0.7 ms before the batch's commands can be read. Empty saves are skipped."""

    def save_encrypted_rooms(self, rooms: set[str]) -> None:
        """Save the newly encrypted rooms, if there are any."""
        if rooms:
            super().save_encrypted_rooms(rooms)


class Client(AsyncClient):  # type: ignore[misc]  # nio.* is untyped
    """nio's client, noting when each sync response's body had been read, before nio
    handles it (decrypts, stores): where a command's trace begins."""

    sync_read_at = 0.0

    async def receive_response(self, response: object) -> None:
        """Note the time, then let nio handle the response."""
        if isinstance(response, SyncResponse):
            self.sync_read_at = time.time()
        await super().receive_response(response)


class SessionError(Exception):
    """The bot cannot run as this Matrix account; the message says what to do."""


class FatalError(Exception):
    """The bot cannot go on (its access token was revoked…); exit non-zero."""


def matrix_section(config: Config) -> MatrixSection:
    """The config's `matrix:` section, or a SessionError saying it is missing."""
    if config.matrix is None:
        raise SessionError("the config has no `matrix:` section; see bot.example.yaml")
    return config.matrix


def private_folder(folder: Path) -> None:
    """Create the store folder readable by its owner only (0700), or make it so: it holds
    the access token and the encryption keys."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(folder.stat().st_mode) & 0o077:
        folder.chmod(0o700)
        log.info("made %s readable by its owner only", folder)


@dataclass(frozen=True)
class Credentials:
    """What `natm-bot login` stores: enough to come back as the same device."""

    homeserver: str
    user_id: str
    device_id: str
    access_token: str
    pickle_key: str

    @staticmethod
    def path(store_dir: Path) -> Path:
        """Where the credentials file lives inside the store folder."""
        return store_dir / CREDENTIALS_FILE

    def save(self, store_dir: Path) -> None:
        """Write the file readable by its owner only (0600), atomically."""
        private_folder(store_dir)
        target = self.path(store_dir)
        temp = target.with_suffix(".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)

    @classmethod
    def load(cls, store_dir: Path) -> Credentials:
        """Read the credentials, or explain how to create them."""
        path = cls.path(store_dir)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(**raw)
        except FileNotFoundError:
            raise SessionError(
                f"no credentials in {store_dir}: run `natm-bot login -c <config>` first"
            ) from None
        except (ValueError, TypeError) as exc:
            raise SessionError(f"{path} is damaged ({exc}); log in again") from None


def store_dir(config: Config) -> Path:
    """The absolute folder of credentials, crypto store and state."""
    return config.resolve(matrix_section(config).store_dir)


def make_client(config: Config, pickle_key: str, device_id: str | None = None) -> AsyncClient:
    """An AsyncClient with a persistent crypto store; retries are left to our own loops."""
    matrix = matrix_section(config)
    client_config = AsyncClientConfig(
        encryption_enabled=matrix.encryption,
        store_sync_tokens=False,  # our own token, saved only after a batch is safely queued
        pickle_key=pickle_key,
        max_timeouts=0,  # connection errors surface at once; our loops back off
        max_limit_exceeded=None,  # M_LIMIT_EXCEEDED: wait retry_after_ms, then retry
        request_timeout=30,
        store=CryptoStore,
    )
    folder = store_dir(config)
    private_folder(folder)
    return Client(
        matrix.homeserver,
        matrix.user_id,
        device_id=device_id,
        store_path=str(folder),
        config=client_config,
    )


def crypto_store_file(config: Config, device_id: str) -> Path:
    """The file nio keeps the device's keys in (named after user and device)."""
    return store_dir(config) / f"{matrix_section(config).user_id}_{device_id}.db"


def crypto_store_problem(folder: Path, credentials: Credentials) -> str | None:
    """Why the encryption store of the credentials' device in `folder` cannot be used (it is
    missing, holds no keys for the device, or the pickle key does not open them), or None."""
    name = f"{credentials.user_id}_{credentials.device_id}.db"
    if not (folder / name).is_file():
        return f"the encryption store {name} of device {credentials.device_id} is missing"
    store = DefaultStore(
        credentials.user_id, credentials.device_id, str(folder), credentials.pickle_key
    )
    try:
        account = store.load_account()
    except Exception as exc:  # nio's store reports a bad file or key in several ways
        return f"the encryption store {name} does not open: {exc}"
    finally:
        store.database.close()
    if account is None:
        return f"the encryption store {name} holds no keys for device {credentials.device_id}"
    return None


async def login(config: Config, password: str) -> Credentials:
    """Log in once as a new device, create its crypto store and save the credentials."""
    folder = store_dir(config)
    if Credentials.path(folder).exists():
        existing = Credentials.load(folder)
        raise SessionError(
            f"already logged in as device {existing.device_id} (credentials in {folder}); "
            "the bot reuses that device on every start, so there is nothing to do"
        )
    pickle_key = secrets.token_urlsafe(32)
    client = make_client(config, pickle_key)
    try:
        response = await _reach(config, client.login(password, matrix_section(config).device_name))
        if not isinstance(response, LoginResponse):
            raise SessionError(f"login failed: {getattr(response, 'message', response)}")
        if matrix_section(config).encryption:
            if client.olm is None:
                raise SessionError("the encryption store could not be created")
            await _reach(config, client.keys_upload())
        credentials = Credentials(
            homeserver=matrix_section(config).homeserver,
            user_id=response.user_id,
            device_id=response.device_id,
            access_token=response.access_token,
            pickle_key=pickle_key,
        )
        credentials.save(folder)
        return credentials
    finally:
        await client.close()


async def _reach(config: Config, request: Awaitable[T]) -> T:
    """A request to the homeserver; SessionError in one line when it cannot be reached."""
    try:
        return await request
    except (ClientError, OSError, TimeoutError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise SessionError(
            f"cannot reach the homeserver at {matrix_section(config).homeserver}: {reason}"
        ) from None


def restore(config: Config) -> tuple[AsyncClient, Credentials]:
    """A client logged in as the stored device, refusing anything that would break E2EE."""
    matrix = matrix_section(config)
    credentials = Credentials.load(store_dir(config))
    if credentials.user_id != matrix.user_id or credentials.homeserver != matrix.homeserver:
        raise SessionError(
            f"the stored credentials are for {credentials.user_id} on {credentials.homeserver}, "
            f"but the config says {matrix.user_id} on {matrix.homeserver}"
        )
    if matrix.encryption and not crypto_store_file(config, credentials.device_id).exists():
        raise SessionError(
            f"the encryption store of device {credentials.device_id} is missing from "
            f"{store_dir(config)}; reusing the device without it would break encryption. "
            "Restore the folder from a backup, or delete credentials.json and log in again "
            "(then remove the old device in a client)"
        )
    client = make_client(config, credentials.pickle_key, credentials.device_id)
    client.restore_login(credentials.user_id, credentials.device_id, credentials.access_token)
    if matrix.encryption and client.olm is None:
        raise SessionError("encryption is on but the encryption store did not load; not starting")
    return client, credentials
