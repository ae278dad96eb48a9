"""The `http:` section of bot.yaml: the bot's own HTTP listener and its public page."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from natm_bot.config.validation import Strict, Url

__all__ = ["HttpSection", "RoomAlias"]


def _room_alias(value: str) -> str:
    """A public room address, `#room:server` (a room id would tell nothing to a reader)."""
    if not re.fullmatch(r"#[^\s:]+:[A-Za-z0-9.\-]+(:[0-9]+)?", value):
        raise ValueError(f"must be a room address like #natm:example.org, not {value!r}")
    return value


RoomAlias = Annotated[str, AfterValidator(_room_alias)]


def _listen(value: object) -> str:
    """`host:port` from `host:port`, `[v6 address]:port` or a port alone (on 127.0.0.1)."""
    text = str(value).strip()
    host, colon, port = text.rpartition(":")
    if not colon or host in ("", "[]"):
        host, port = "127.0.0.1", port or text
    if not port.isdigit() or int(port) > 65535 or (":" in host and not host.startswith("[")):
        raise ValueError(f"must be host:port, like 127.0.0.1:9090, not {value!r}")
    return f"{host}:{int(port)}"


class HttpSection(Strict):
    """The bot's own HTTP listener: health checks and Prometheus metrics. Off unless the
    section is given."""

    # Where to listen: host:port, or a port alone for 127.0.0.1 (0: any free port, logged).
    # The endpoints tell how the bot is doing; keep them on 127.0.0.1 or a private network.
    listen: Annotated[str, BeforeValidator(_listen)] = "127.0.0.1:9090"
    # The public page (/, /readings, /groups, /members, /meetings, /decisions) and the feeds
    # (/calendar.ics, /groups/<id>/calendar.ics) on the same listener: off unless asked for.
    public: bool = False
    # The address people reach the page at through the reverse proxy; `!meetings ics` and
    # `!group` give the feeds' addresses under it.
    public_url: Url | None = None
    # Public rooms (`#room:server`): matrix.to links on the page, their polls on /decisions.
    public_rooms: list[RoomAlias] = Field(default_factory=list)

    @property
    def feed_base(self) -> str | None:
        """Where the public page is reached, without a trailing slash, when it is on."""
        return self.public_url.rstrip("/") if self.public and self.public_url else None

    @property
    def host(self) -> str:
        """The address to listen on (an IPv6 one without its brackets)."""
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        """The port to listen on; 0 for any free one."""
        return int(self.listen.rpartition(":")[2])
