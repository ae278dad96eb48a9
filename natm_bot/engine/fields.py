"""Named fields typed in chat: `title="Weekly call" when=2026-12-08T18:00 tz=Europe/Berlin`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from natm_bot.core.errors import UsageError
from natm_bot.core.i18n import N_, _
from natm_bot.engine.arguments import normalise
from natm_bot.engine.rendering import md_escape

# A value is a "quoted phrase" or one word; an empty `name=` stays empty rather than taking
# the next field as its value.
_FIELD_RE = re.compile(r'\s*([A-Za-z_][\w-]*)\s*=(?:\s*"([^"]*)"|(\S*))')


class FieldsError(UsageError):
    """Some `key=value` pairs could not be read; `stray` when some text was not a field."""

    def __init__(self, message: str, *, stray: bool) -> None:
        super().__init__(message)
        self.stray = stray


_STRAY = N_("“{typed}” is not a field: write name=value.")


def parse_fields(
    text: str, allowed: Iterable[str], required: Iterable[str] = ()
) -> dict[str, str]:
    """`key=value` pairs (values with spaces in double quotes); every problem named at once."""
    allowed = list(allowed)
    text = normalise(text)
    fields: dict[str, str] = {}
    problems: list[str] = []
    strays = False
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _FIELD_RE.match(text, position)
        if match is None:
            stray = text[position:].split()[0]
            problems.append(_(_STRAY).format(typed=md_escape(stray[:40])))
            strays = True
            position = text.index(stray, position) + len(stray)
            continue
        key = match.group(1).lower().replace("-", "_")
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if key not in allowed:
            problems.append(_("Unknown field `{field}`.").format(field=md_escape(key[:30])))
        elif key in fields:
            problems.append(_("The field `{field}` is given twice.").format(field=key))
        else:
            fields[key] = value.strip()
        position = match.end()
    missing = [key for key in required if not fields.get(key)]
    problems += [_("The field `{field}` is missing.").format(field=key) for key in missing]
    if problems:
        known = ", ".join(f"`{k}`" for k in allowed)
        listed = "\n".join(f"- {problem}" for problem in problems)
        raise FieldsError(
            listed + "\n\n" + _("Fields: {known}.").format(known=known), stray=strays
        )
    return fields
