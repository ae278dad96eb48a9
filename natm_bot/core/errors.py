"""Errors a command may raise; the dispatcher turns them into friendly replies."""

from __future__ import annotations


class CommandError(Exception):
    """A problem the user can fix; its message is shown as is (Markdown, user text escaped)."""


class UsageError(CommandError):
    """The arguments did not fit; the reply adds the command's usage line."""


class NotFound(CommandError):
    """What the user named does not exist."""
