"""What a command module takes from the engine and the app, in one import.

A command module imports this, the features (their services, views and argument
converters), the pure layers below them (`core`, `calendar`, `config`), the standard library
and babel; nothing else (`lint-imports` and tests/unit/test_house_rules.py hold it)."""

from __future__ import annotations

from natm_bot.context import Context
from natm_bot.core.errors import CommandError, NotFound, UsageError
from natm_bot.core.messages import Attachment, Card, Reply, UserId
from natm_bot.engine.arguments import counting_number, row_number
from natm_bot.engine.fields import FieldsError, parse_fields
from natm_bot.engine.registry import Perm, Rest, command
from natm_bot.engine.rendering import md_escape, md_link

__all__ = [
    "Attachment",
    "Card",
    "CommandError",
    "Context",
    "FieldsError",
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
    "parse_fields",
    "row_number",
]
