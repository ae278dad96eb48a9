"""Everything a command module needs, in one import."""

from __future__ import annotations

from natm_bot.context import Context
from natm_bot.core.errors import CommandError, NotFound, UsageError
from natm_bot.core.messages import Attachment, Reply, UserId
from natm_bot.engine.arguments import counting_number
from natm_bot.engine.registry import Perm, Rest, command
from natm_bot.engine.rendering import md_escape, md_link

__all__ = [
    "Attachment",
    "CommandError",
    "Context",
    "NotFound",
    "Perm",
    "Reply",
    "Rest",
    "UsageError",
    "UserId",
    "command",
    "counting_number",
    "md_escape",
    "md_link",
]
