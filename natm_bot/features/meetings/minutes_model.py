"""What the minutes of a meeting hand on: the action items their `#action` lines named."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class NewAction:
    """An action item as an `#action` line of minutes gave it: the line's event (so the same
    line adopted twice makes one action), its owner, its text and its due date."""

    source_event: str
    owner: str | None
    text: str
    due: date | None
