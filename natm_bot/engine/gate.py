"""What the dispatcher asks before running a command: may this sender do this?

It is asked twice. First by the command words alone, before a single argument is read: a
person who holds the command's level nowhere is refused there, whatever they typed. Then,
for the levels judged by what an action reaches, again after each argument is bound, so that
a meeting or group that is not the sender's is refused before the rest is read or drafted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from natm_bot.core.messages import Message
from natm_bot.engine.registry import Perm

# The levels judged by what an action reaches (which meeting, which group), not only by who.
REACHED = frozenset({Perm.COORDINATOR, Perm.GROUP_VIEWER, Perm.ORGANISER})


@dataclass(frozen=True)
class Verdict:
    """Whether an action is allowed; when not, why (empty: the command's level says it)."""

    allowed: bool
    why: str = ""


ALLOWED = Verdict(True)
REFUSED = Verdict(False)


@dataclass(frozen=True)
class Unknown:
    """A bound argument that names nothing (no such meeting or group). Only someone who may
    act on everything is told so; anyone else is refused as for what is not theirs, so that
    what does not exist and what is out of reach answer alike."""

    typed: str


class Refused(Exception):
    """Raised while arguments are bound: what they reach is not the sender's."""

    def __init__(self, why: str = "") -> None:
        super().__init__(why)
        self.why = why


# Judges the arguments bound so far; raises Refused when they reach too far.
Judge = Callable[[Mapping[str, Any]], Awaitable[None]]


class PermissionGate(Protocol):
    """Judges a sender against a command's permission level."""

    async def allows(
        self, perm: Perm, message: Message, args: Mapping[str, Any] | None = None
    ) -> bool:
        """Whether the sender may run a command declared with `perm`."""

    async def judge(
        self, perm: Perm, message: Message, args: Mapping[str, Any] | None = None
    ) -> Verdict:
        """The same, with the reason when the answer is no; with `args` None, whether the
        sender holds the level anywhere at all."""
