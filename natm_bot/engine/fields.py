"""Named fields typed in chat: `title="Weekly call" when=2026-12-08T18:00 tz=Europe/Berlin`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from natm_bot.core.errors import UsageError
from natm_bot.engine.arguments import normalise
from natm_bot.engine.rendering import md_escape

# A value is a "quoted phrase" or one word; an empty `name=` stays empty rather than taking
# the next field as its value.
_FIELD_RE = re.compile(r'\s*([A-Za-z_][\w-]*)\s*=(?:\s*"([^"]*)"|(\S*))')


def parse_fields(
    text: str, allowed: Iterable[str], required: Iterable[str] = ()
) -> dict[str, str]:
    """`key=value` pairs (values with spaces in double quotes); every problem named at once."""
    allowed = list(allowed)
    text = normalise(text)
    fields: dict[str, str] = {}
    problems: list[str] = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _FIELD_RE.match(text, position)
        if match is None:
            stray = text[position:].split()[0]
            problems.append(f"“{md_escape(stray[:40])}” is not a field: write name=value.")
            position = text.index(stray, position) + len(stray)
            continue
        key = match.group(1).lower().replace("-", "_")
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if key not in allowed:
            problems.append(f"Unknown field `{md_escape(key[:30])}`.")
        elif key in fields:
            problems.append(f"The field `{key}` is given twice.")
        else:
            fields[key] = value.strip()
        position = match.end()
    problems += [f"The field `{key}` is missing." for key in required if not fields.get(key)]
    if problems:
        known = ", ".join(f"`{k}`" for k in allowed)
        listed = "\n".join(f"- {problem}" for problem in problems)
        raise UsageError(f"{listed}\n\nFields: {known}.")
    return fields
