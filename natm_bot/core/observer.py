"""What the bot tells about its own work (counts and timings), for whoever watches it.

The command engine, the announcements, the sync loop and the storage call an `Observer` with
plain names from fixed sets; the app wires in one that keeps metrics, or `SILENT`. No call
ever carries a user id, a room id or message text.
"""

from __future__ import annotations

from typing import Literal, Protocol

# How a command ended: answered; the person's input could not be used (usage, a group that
# does not exist…); something went wrong on the bot's side; not allowed; over the rate
# limit; not a command the bot knows.
CommandOutcome = Literal["ok", "usage", "error", "refused", "rate-limited", "unknown"]
AnnouncementOutcome = Literal["sent", "late", "missed", "failed"]
# The command name given for a command the bot does not know (never what was typed).
UNKNOWN_COMMAND = "(unknown)"


class Observer(Protocol):
    """Told of each handled command, reply, sync, announcement and storage fault."""

    def command(self, name: str, outcome: CommandOutcome) -> None:
        """A command was handled: its registered name (or UNKNOWN_COMMAND) and outcome."""

    def replied(self, seconds: float) -> None:
        """The replies to a command were sent, this long after it was typed."""

    def rate_limited(self) -> None:
        """Someone was told to slow down (once per flood of commands)."""

    def synced(self, rooms: int) -> None:
        """A sync with the homeserver worked; the bot is in this many rooms."""

    def sync_failed(self) -> None:
        """A sync with the homeserver failed (it will be tried again)."""

    def announced(self, outcome: AnnouncementOutcome) -> None:
        """An announcement was settled: sent (on time), late, missed or failed."""

    def storage_error(self, kind: str) -> None:
        """The database could not do what it was asked: full, read-only, busy or failing."""


class Silent:
    """The observer that keeps nothing: the default wherever nobody watches."""

    def command(self, name: str, outcome: CommandOutcome) -> None:
        """Nothing."""

    def replied(self, seconds: float) -> None:
        """Nothing."""

    def rate_limited(self) -> None:
        """Nothing."""

    def synced(self, rooms: int) -> None:
        """Nothing."""

    def sync_failed(self) -> None:
        """Nothing."""

    def announced(self, outcome: AnnouncementOutcome) -> None:
        """Nothing."""

    def storage_error(self, kind: str) -> None:
        """Nothing."""


SILENT: Observer = Silent()
