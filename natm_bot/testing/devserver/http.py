"""Talking to a local Synapse over HTTP: free ports, JSON requests, shared-secret sign-up."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from natm_bot.testing.devserver.files import HOST


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


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    """Tell whether Synapse could bind ``port`` (Twisted also sets SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def request(
    url: str,
    method: str,
    path: str,
    token: str | None,
    body: Mapping[str, Any] | None = None,
    *,
    timeout: float = 30,
) -> dict[str, Any]:
    """Send one JSON request to the server at ``url`` and decode the JSON reply."""
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/': {path!r}")
    data = None if body is None else json.dumps(body).encode()
    sent = urllib.request.Request(url + path, data=data, method=method.upper())
    sent.add_header("Accept", "application/json")
    if data is not None:
        sent.add_header("Content-Type", "application/json")
    if token is not None:
        sent.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(sent, timeout=timeout) as response:
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


def registration(
    shared_secret: str, nonce: str, localpart: str, password: str, *, admin: bool
) -> dict[str, Any]:
    """The body of a shared-secret registration, signed with the server's secret."""
    mac = hmac.new(shared_secret.encode(), digestmod=hashlib.sha1)
    for part in (nonce, localpart, password):
        mac.update(part.encode())
        mac.update(b"\x00")
    mac.update(b"admin" if admin else b"notadmin")
    return {
        "nonce": nonce,
        "username": localpart,
        "password": password,
        "admin": admin,
        "mac": mac.hexdigest(),
    }


def answers(url: str) -> bool:
    """Whether the client API at ``url`` answers its versions request."""
    probe = url + "/_matrix/client/versions"
    try:
        with urllib.request.urlopen(probe, timeout=2) as response:
            return bool(response.status == 200 and "versions" in json.loads(response.read()))
    except (OSError, ValueError):
        return False  # not listening yet (URLError and ConnectionError are OSErrors)
