"""What the dispatcher asks before running a command: may this sender do this?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from natm_bot.core.messages import Message
from natm_bot.engine.registry import Perm


@dataclass(frozen=True)
class Verdict:
    """Whether an action is allowed; when not, why (empty: the command's level says it)."""

    allowed: bool
    why: str = ""


ALLOWED = Verdict(True)
REFUSED = Verdict(False)


class PermissionGate(Protocol):
    """Judges a sender against a command's permission level."""

    async def allows(
        self, perm: Perm, message: Message, args: Mapping[str, Any] | None = None
    ) -> bool:
        """Whether the sender may run a command declared with `perm`."""

    async def judge(
        self, perm: Perm, message: Message, args: Mapping[str, Any] | None = None
    ) -> Verdict:
        """The same, with the reason when the answer is no."""
