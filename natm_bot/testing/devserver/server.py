"""A local Synapse as a subprocess: start, stop, restart, users and admin requests."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import hmac
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NoReturn, Self

from natm_bot.testing.devserver import files, http
from natm_bot.testing.devserver.files import CONFIG_FILE, HOST, LOG_FILE, OUTPUT_FILE
from natm_bot.testing.devserver.http import MatrixRequestError

# Servers that are running, so that they can be stopped if the owner forgets to.
_RUNNING: set[LocalSynapse] = set()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop(timeout=5)


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
            self._port = files.listener_port(existing)
        else:
            self._port = http.free_port()

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
        return f"http://{HOST}:{self._port}"

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
        if not http.port_is_free(self._port):
            raise RuntimeError(
                f"cannot start Synapse in {self._base_dir}: port {self._port} on {HOST} "
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
        body = http.registration(self._shared_secret(), nonce, localpart, password, admin=admin)
        return self._request("POST", path, None, body)

    def _request(
        self,
        method: str,
        path: str,
        token: str | None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send one JSON request to the server and decode the JSON reply."""
        return http.request(self.url, method, path, token, body)

    def _shared_secret(self) -> str:
        """Return the ``registration_shared_secret`` from the config."""
        config = self._config if self._config is not None else self._read_config()
        if config is None:
            raise RuntimeError("the homeserver has no config yet: call start() first")
        secret: str = config["registration_shared_secret"]
        return secret

    def _read_config(self) -> dict[str, Any] | None:
        """Load an existing ``homeserver.yaml``, or return None if there is none."""
        return files.read_config(self.config_path)

    def _ensure_config(self) -> None:
        """Write the config files on first start; afterwards only fix up the port if needed."""
        config = self._read_config()
        if config is None:
            files.write_log_config(self._base_dir)
            files.write_signing_key(self._base_dir)
            config = files.homeserver_config(
                self._base_dir,
                self._server_name,
                self._port,
                rate_limits=self._rate_limits,
                extra=self._extra_config,
            )
            files.write_yaml(self.config_path, config)
        else:
            if (
                self._port_is_automatic
                and not self._started_once
                and not http.port_is_free(self._port)
            ):
                # The port remembered from an earlier run has been taken since: move on.
                self._port = http.free_port()
            if files.listener_port(config) != self._port:
                config["listeners"][0]["port"] = self._port
                config["public_baseurl"] = self.url + "/"
                files.write_yaml(self.config_path, config)
            self._server_name = str(config["server_name"])
        self._config = config

    def _wait_until_ready(self, timeout: float) -> None:
        """Poll ``/_matrix/client/versions`` until it answers, the process dies or time is up."""
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            process = self._process
            if process is None or process.poll() is not None:
                code = None if process is None else process.returncode
                self._fail(f"Synapse exited with status {code} while starting")
            if http.answers(self.url):
                return
            if time.monotonic() >= deadline:
                probe = self.url + "/_matrix/client/versions"
                self._fail(f"Synapse did not answer on {probe} within {timeout:g} seconds")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)

    def _fail(self, reason: str) -> NoReturn:
        """Raise a RuntimeError carrying the tail of the output and of the log."""
        output = files.tail(self.output_path, self._output_offset)
        log = files.tail(self.log_path)
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
