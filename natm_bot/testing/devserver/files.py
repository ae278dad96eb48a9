"""The files of a local Synapse: its config, log config and signing key."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

CONFIG_FILE = "homeserver.yaml"
LOG_CONFIG_FILE = "log.config.yaml"
LOG_FILE = "homeserver.log"
OUTPUT_FILE = "synapse.out"
SIGNING_KEY_FILE = "signing.key"
DATABASE_FILE = "homeserver.db"
MEDIA_STORE_DIR = "media_store"

HOST = "127.0.0.1"

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


def unlimited_rate_limits() -> dict[str, Any]:
    """Return the config fragment that raises every rate limit out of reach."""
    config: dict[str, Any] = {}
    for name in _RATE_LIMITERS:
        *parents, leaf = name.split(".")
        node = config
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = dict(_UNLIMITED)
    return config


def deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated recursively with ``extra`` (mappings merge, anything else wins)."""
    merged = dict(base)
    for key, value in extra.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def homeserver_config(
    base: Path,
    server_name: str,
    port: int,
    *,
    rate_limits: bool,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """Build the ``homeserver.yaml`` contents of a server living in ``base``."""
    config: dict[str, Any] = {
        "server_name": server_name,
        "public_baseurl": f"http://{HOST}:{port}/",
        "listeners": [
            {
                "port": port,
                "bind_addresses": [HOST],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(base / DATABASE_FILE)}},
        "log_config": str(base / LOG_CONFIG_FILE),
        "media_store_path": str(base / MEDIA_STORE_DIR),
        "signing_key_path": str(base / SIGNING_KEY_FILE),
        **_secrets(),
        **_quiet_and_closed(),
    }
    if not rate_limits:
        config.update(unlimited_rate_limits())
    return deep_merge(config, extra)


def _secrets() -> dict[str, Any]:
    """New random secrets for registration, macaroons and forms."""
    return {
        "registration_shared_secret": secrets.token_urlsafe(32),
        "macaroon_secret_key": secrets.token_urlsafe(32),
        "form_secret": secrets.token_urlsafe(32),
    }


def _quiet_and_closed() -> dict[str, Any]:
    """No sign-ups, no federation, no statistics, no previews, no presence."""
    return {
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


def write_log_config(base: Path) -> None:
    """Synapse logs WARNING and above to ``homeserver.log``."""
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
                "filename": str(base / LOG_FILE),
                "encoding": "utf8",
            }
        },
        "root": {"level": "WARNING", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }
    write_yaml(base / LOG_CONFIG_FILE, log_config)


def write_signing_key(base: Path) -> None:
    """Write a new ed25519 key in signedjson's ``<algorithm> <version> <seed>`` format."""
    path = base / SIGNING_KEY_FILE
    if path.exists():
        return
    seed = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    version = "a_" + secrets.token_hex(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(f"ed25519 {version} {seed}\n")


def write_yaml(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as YAML atomically (write to a temporary file, then rename)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(yaml.safe_dump(dict(data), sort_keys=False), encoding="utf-8")
    temporary.replace(path)


def read_config(path: Path) -> dict[str, Any] | None:
    """Load an existing ``homeserver.yaml``, or return None if there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    config = yaml.safe_load(text)
    if not isinstance(config, dict):
        raise RuntimeError(f"{path} does not hold a mapping")
    return config


def listener_port(config: Mapping[str, Any]) -> int:
    """The port the config's client listener binds."""
    port: int = config["listeners"][0]["port"]
    return port


def tail(path: Path, offset: int = 0, limit: int = 4000) -> str:
    """Return at most the last ``limit`` characters of ``path`` after byte ``offset``."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(offset, size - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
