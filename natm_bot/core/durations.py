"""One reading of a length of time, for chat (`duration=1h30m`) and for bot.yaml (`grace: 30m`).

Units: `w`, `d`, `h`, `m` or `min` (minutes), `s`; parts may be combined (`1h30m`, `1d 12h`).
A bare number is in the caller's unit: seconds in bot.yaml, minutes in chat.
"""

from __future__ import annotations

import re

_PART_RE = re.compile(r"(\d+)(w|d|h|min|m|s)")
UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "min": 60, "m": 60, "s": 1}
# A million of anything is too long for any use (and keeps the arithmetic small).
MAX_DIGITS = 6


class DurationError(ValueError):
    """Text that is not a length of time; the message says why, in plain words."""


class DurationTooLong(DurationError):
    """A length of time with a number of a million or more."""


def parse_seconds(text: str, *, bare: str = "s") -> int:
    """Seconds in `text` (`90`, `90s`, `15m`, `1h30m`, `2d`, `1w`); never negative.

    `bare` is the unit of a number written without one."""
    cleaned = "".join(text.split()).lower()
    if cleaned.isdigit():
        cleaned += bare
    parts = _PART_RE.findall(cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        raise DurationError("is not a length of time")
    if any(len(number) > MAX_DIGITS for number, _ in parts):
        raise DurationTooLong("is far too long a time")
    return sum(int(number) * UNIT_SECONDS[unit] for number, unit in parts)
