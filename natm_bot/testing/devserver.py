"""A throwaway local Synapse homeserver for the test suite, benchmarks and ``natm-bot demo``.

Everything the server needs lives in one directory owned by :class:`LocalSynapse`:

* ``homeserver.yaml``   – generated once, reused on every later start
* ``log.config.yaml``   – Python logging config (WARNING and above only)
* ``homeserver.log``    – Synapse's own log
* ``synapse.out``       – the process' stdout/stderr (appended on every start)
* ``signing.key``       – the server's ed25519 signing key
* ``homeserver.db``     – the sqlite database
* ``media_store/``      – uploaded media

The server listens on plain HTTP on 127.0.0.1 only, never federates and, unless asked
otherwise, has every rate limit raised so far that tests never hit one.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NoReturn, Self

import yaml

__all__ = ["LocalSynapse", "MatrixRequestError"]

CONFIG_FILE = "homeserver.yaml"
LOG_CONFIG_FILE = "log.config.yaml"
LOG_FILE = "homeserver.log"
OUTPUT_FILE = "synapse.out"
SIGNING_KEY_FILE = "signing.key"
DATABASE_FILE = "homeserver.db"
MEDIA_STORE_DIR = "media_store"

_HOST = "127.0.0.1"

#: "Effectively unlimited" rate limiter settings.
_UNLIMITED: dict[str, int] = {"per_second": 10_000, "burst_count": 100_000}

#: Every rate limiter of ``synapse/config/ratelimiting.py``; dots mean nesting.
_RATE_LIMITERS: tuple[str, ...] = (
    "rc_message",
    "rc_registration",
    "rc_registration_token_validity",
    "rc_login.address",
    "rc_login.account",
    "rc_login.failed_attempts",
    "rc_admin_redaction",
    "rc_joins.local",
    "rc_joins.remote",
    "rc_joins_per_room",
    "rc_key_requests",
    "rc_3pid_validation",
    "rc_invites.per_room",
    "rc_invites.per_user",
    "rc_invites.per_issuer",
    "rc_third_party_invite",
    "rc_media_create",
    "rc_presence.per_user",
    "rc_delayed_event_mgmt",
    "rc_room_creation",
    "rc_reports",
    "rc_user_directory",
    "rc_profile",
)

# Servers that are running, so that they can be stopped if the owner forgets to.
_RUNNING: set[LocalSynapse] = set()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop(timeout=5)


class MatrixRequestError(RuntimeError):
    """An HTTP request to the homeserver failed."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        self.errcode: str | None = None
        self.error: str | None = None
        with contextlib.suppress(ValueError, AttributeError):
            parsed = json.loads(body)
            self.errcode = parsed.get("errcode")
            self.error = parsed.get("error")
        detail = f"{self.errcode}: {self.error}" if self.errcode else body[:500]
        super().__init__(f"{method} {path} -> HTTP {status} {detail}")


def _unlimited_rate_limits() -> dict[str, Any]:
    """Return the config fragment that raises every rate limit out of reach."""
    config: dict[str, Any] = {}
    for name in _RATE_LIMITERS:
        *parents, leaf = name.split(".")
        node = config
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = dict(_UNLIMITED)
    return config


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated recursively with ``extra`` (mappings merge, anything else wins)."""
    merged = dict(base)
    for key, value in extra.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            merged[key] = _deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def _free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_is_free(port: int) -> bool:
    """Tell whether Synapse could bind ``port`` (Twisted also sets SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((_HOST, port))
        except OSError:
            return False
        return True


def _tail(path: Path, offset: int = 0, limit: int = 4000) -> str:
    """Return at most the last ``limit`` characters of ``path`` after byte ``offset``."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(offset, size - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


class LocalSynapse:
    """A Synapse homeserver running as a subprocess, owning everything under ``base_dir``."""

    def __init__(
        self,
        base_dir: Path,
        *,
        port: int | None = None,
        server_name: str = "localhost",
        rate_limits: bool = False,
        extra_config: Mapping[str, Any] | None = None,
    ) -> None:
        self._base_dir = Path(base_dir).resolve()
        self._server_name = server_name
        self._rate_limits = rate_limits
        self._extra_config: Mapping[str, Any] = extra_config or {}
        self._process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None
        self._output_offset = 0
        self._config: dict[str, Any] | None = None
        self._admin_token: str | None = None
        self._started_once = False
        self._port_is_automatic = port is None
        existing = self._read_config()
        if existing is not None:
            # The database is bound to the server name it was created with.
            self._server_name = str(existing["server_name"])
        if port is not None:
            self._port = port
        elif existing is not None:
            self._port = self._listener_port(existing)
        else:
            self._port = _free_port()

    # ------------------------------------------------------------------ properties

    @property
    def base_dir(self) -> Path:
        """The directory holding the config, database, media store and logs."""
        return self._base_dir

    @property
    def config_path(self) -> Path:
        """Path of the generated ``homeserver.yaml``."""
        return self._base_dir / CONFIG_FILE

    @property
    def log_path(self) -> Path:
        """Path of Synapse's own log file (WARNING and above)."""
        return self._base_dir / LOG_FILE

    @property
    def output_path(self) -> Path:
        """Path of the file receiving the process' stdout and stderr."""
        return self._base_dir / OUTPUT_FILE

    @property
    def port(self) -> int:
        """The TCP port on 127.0.0.1 the server listens on (stable across restarts)."""
        return self._port

    @property
    def url(self) -> str:
        """Base URL of the client-server API, e.g. ``http://127.0.0.1:8008``."""
        return f"http://{_HOST}:{self._port}"

    @property
    def server_name(self) -> str:
        """The homeserver's server name, the part after the colon in user IDs."""
        return self._server_name

    @property
    def running(self) -> bool:
        """Whether the Synapse process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """Process id of the running Synapse, if any."""
        return self._process.pid if self.running and self._process is not None else None

    def user_id(self, localpart: str) -> str:
        """Return the full Matrix user ID for ``localpart`` on this server."""
        return f"@{localpart}:{self._server_name}"

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 60) -> None:
        """Start Synapse (no-op if running) and wait until the client API answers."""
        if self.running:
            return
        self._close_process()
        self._base_dir.mkdir(parents=True, exist_ok=True)
        self._ensure_config()
        if not _port_is_free(self._port):
            raise RuntimeError(
                f"cannot start Synapse in {self._base_dir}: port {self._port} on {_HOST} "
                "is already in use"
            )

        self._output = self.output_path.open("ab")
        self._output_offset = self._output.tell()
        self._output.write(f"---- starting Synapse at {time.ctime()}\n".encode())
        self._output.flush()
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "--config-path",
                str(self.config_path),
            ],
            cwd=self._base_dir,
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        _RUNNING.add(self)
        try:
            self._wait_until_ready(timeout)
        except BaseException:
            self.kill()
            raise
        self._started_once = True

    def stop(self, timeout: float = 20) -> None:
        """Stop Synapse with SIGTERM, falling back to SIGKILL after ``timeout`` seconds."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._close_process()

    def kill(self) -> None:
        """Stop Synapse immediately with SIGKILL."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        self._close_process()

    def restart(self, timeout: float = 60) -> None:
        """Stop and start again, on the same port with the same database."""
        self.stop()
        self.start(timeout)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<LocalSynapse {self.url} {self._server_name!r} {state} in {self._base_dir}>"

    # ------------------------------------------------------------------ users

    def register_user(self, localpart: str, password: str, *, admin: bool = False) -> str:
        """Create a user through the shared-secret admin API and return its Matrix ID.

        The session that registration opens is logged out again, so the new user starts
        without any device.
        """
        response = self._register(localpart, password, admin=admin)
        self._request("POST", "/_matrix/client/v3/logout", response["access_token"], {})
        user_id: str = response["user_id"]
        return user_id

    async def aregister_user(self, localpart: str, password: str, *, admin: bool = False) -> str:
        """Async wrapper around :meth:`register_user` (runs in a worker thread)."""
        return await asyncio.to_thread(self.register_user, localpart, password, admin=admin)

    def login_token(
        self, localpart: str, password: str, *, device_id: str | None = None
    ) -> tuple[str, str]:
        """Log in with a password and return ``(access_token, device_id)`` of a new session."""
        body: dict[str, Any] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": localpart},
            "password": password,
        }
        if device_id is not None:
            body["device_id"] = device_id
        response = self._request("POST", "/_matrix/client/v3/login", None, body)
        return response["access_token"], response["device_id"]

    async def alogin_token(
        self, localpart: str, password: str, *, device_id: str | None = None
    ) -> tuple[str, str]:
        """Async wrapper around :meth:`login_token` (runs in a worker thread)."""
        return await asyncio.to_thread(self.login_token, localpart, password, device_id=device_id)

    def admin_token(self) -> str:
        """Return an access token of a server admin, creating that admin on first use."""
        if self._admin_token is None:
            localpart = "devserver-admin"
            password = hmac.new(
                self._shared_secret().encode(), b"devserver-admin", hashlib.sha256
            ).hexdigest()
            try:
                self._admin_token = self._register(localpart, password, admin=True)["access_token"]
            except MatrixRequestError as error:
                if error.errcode != "M_USER_IN_USE":
                    raise
                self._admin_token = self.login_token(localpart, password)[0]
        return self._admin_token

    def admin_request(
        self,
        method: str,
        path: str,
        token: str | None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send a JSON request to ``path`` (e.g. an admin API) and return the decoded reply.

        Path segments holding user or room IDs should be escaped with ``urllib.parse.quote``.
        Raises :class:`MatrixRequestError` for any non-2xx answer.
        """
        return self._request(method, path, token, body)

    async def aadmin_request(
        self,
        method: str,
        path: str,
        token: str | None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Async wrapper around :meth:`admin_request` (runs in a worker thread)."""
        return await asyncio.to_thread(self._request, method, path, token, body)

    # ------------------------------------------------------------------ internals

    def _register(self, localpart: str, password: str, *, admin: bool) -> dict[str, Any]:
        """Register through ``/_synapse/admin/v1/register`` and return the raw response."""
        path = "/_synapse/admin/v1/register"
        nonce: str = self._request("GET", path, None)["nonce"]
        mac = hmac.new(self._shared_secret().encode(), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password):
            mac.update(part.encode())
            mac.update(b"\x00")
        mac.update(b"admin" if admin else b"notadmin")
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        return self._request("POST", path, None, body)

    def _request(
        self,
        method: str,
        path: str,
        token: str | None,
        body: Mapping[str, Any] | None = None,
        *,
        timeout: float = 30,
    ) -> dict[str, Any]:
        """Send one JSON request to the server with urllib and decode the JSON reply."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method.upper())
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", "replace")
            raise MatrixRequestError(method.upper(), path, error.code, text) from None
        if not raw.strip():
            return {}
        decoded = json.loads(raw)
        if not isinstance(decoded, dict):
            raise MatrixRequestError(method.upper(), path, 200, raw.decode("utf-8", "replace"))
        return decoded

    def _shared_secret(self) -> str:
        """Return the ``registration_shared_secret`` from the config."""
        config = self._config if self._config is not None else self._read_config()
        if config is None:
            raise RuntimeError("the homeserver has no config yet: call start() first")
        secret: str = config["registration_shared_secret"]
        return secret

    def _read_config(self) -> dict[str, Any] | None:
        """Load an existing ``homeserver.yaml``, or return None if there is none."""
        try:
            text = self.config_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        config = yaml.safe_load(text)
        if not isinstance(config, dict):
            raise RuntimeError(f"{self.config_path} does not hold a mapping")
        return config

    @staticmethod
    def _listener_port(config: Mapping[str, Any]) -> int:
        port: int = config["listeners"][0]["port"]
        return port

    def _ensure_config(self) -> None:
        """Write the config files on first start; afterwards only fix up the port if needed."""
        config = self._read_config()
        if config is None:
            self._write_log_config()
            self._write_signing_key()
            config = self._generate_config()
            self._write_yaml(self.config_path, config)
        else:
            if (
                self._port_is_automatic
                and not self._started_once
                and not _port_is_free(self._port)
            ):
                # The port remembered from an earlier run has been taken since: move on.
                self._port = _free_port()
            if self._listener_port(config) != self._port:
                config["listeners"][0]["port"] = self._port
                config["public_baseurl"] = self.url + "/"
                self._write_yaml(self.config_path, config)
            self._server_name = str(config["server_name"])
        self._config = config

    def _generate_config(self) -> dict[str, Any]:
        """Build the ``homeserver.yaml`` contents."""
        base = self._base_dir
        config: dict[str, Any] = {
            "server_name": self._server_name,
            "public_baseurl": self.url + "/",
            "listeners": [
                {
                    "port": self._port,
                    "bind_addresses": [_HOST],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(base / DATABASE_FILE)},
            },
            "log_config": str(base / LOG_CONFIG_FILE),
            "media_store_path": str(base / MEDIA_STORE_DIR),
            "signing_key_path": str(base / SIGNING_KEY_FILE),
            "registration_shared_secret": secrets.token_urlsafe(32),
            "macaroon_secret_key": secrets.token_urlsafe(32),
            "form_secret": secrets.token_urlsafe(32),
            "enable_registration": False,
            "report_stats": False,
            "enable_metrics": False,
            "federation_domain_whitelist": [],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "url_preview_enabled": False,
            "presence": {"enabled": False},
            # The cheapest cost bcrypt allows: registering and logging in stay fast.
            "bcrypt_rounds": 4,
        }
        if not self._rate_limits:
            config.update(_unlimited_rate_limits())
        return _deep_merge(config, self._extra_config)

    def _write_log_config(self) -> None:
        log_config = {
            "version": 1,
            "formatters": {
                "precise": {
                    "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s"
                    " - %(request)s - %(message)s"
                }
            },
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "precise",
                    "filename": str(self.log_path),
                    "encoding": "utf8",
                }
            },
            "root": {"level": "WARNING", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }
        self._write_yaml(self._base_dir / LOG_CONFIG_FILE, log_config)

    def _write_signing_key(self) -> None:
        """Write a new ed25519 key in signedjson's ``<algorithm> <version> <seed>`` format."""
        path = self._base_dir / SIGNING_KEY_FILE
        if path.exists():
            return
        seed = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        version = "a_" + secrets.token_hex(2)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(f"ed25519 {version} {seed}\n")

    @staticmethod
    def _write_yaml(path: Path, data: Mapping[str, Any]) -> None:
        """Write ``data`` as YAML atomically (write to a temporary file, then rename)."""
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(yaml.safe_dump(dict(data), sort_keys=False), encoding="utf-8")
        temporary.replace(path)

    def _wait_until_ready(self, timeout: float) -> None:
        """Poll ``/_matrix/client/versions`` until it answers, the process dies or time is up."""
        deadline = time.monotonic() + timeout
        probe = self.url + "/_matrix/client/versions"
        delay = 0.05
        while True:
            process = self._process
            if process is None or process.poll() is not None:
                code = None if process is None else process.returncode
                self._fail(f"Synapse exited with status {code} while starting")
            try:
                with urllib.request.urlopen(probe, timeout=2) as response:
                    if response.status == 200 and "versions" in json.loads(response.read()):
                        return
            except (OSError, ValueError):
                pass  # not listening yet (URLError and ConnectionError are OSErrors)
            if time.monotonic() >= deadline:
                self._fail(f"Synapse did not answer on {probe} within {timeout:g} seconds")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)

    def _fail(self, reason: str) -> NoReturn:
        """Raise a RuntimeError carrying the tail of the output and of the log."""
        output = _tail(self.output_path, self._output_offset)
        log = _tail(self.log_path)
        raise RuntimeError(
            f"{reason} (in {self._base_dir}).\n"
            f"--- tail of {self.output_path}:\n{output}\n"
            f"--- tail of {self.log_path}:\n{log}"
        )

    def _close_process(self) -> None:
        """Forget a process that has exited and close its output file."""
        if self._process is not None and self._process.poll() is None:
            return
        self._process = None
        _RUNNING.discard(self)
        if self._output is not None:
            self._output.close()
            self._output = None
