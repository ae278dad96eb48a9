"""The `onboarding:` section of bot.yaml: which rooms welcome newcomers, and how."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from natm_bot.config.validation import Strict, room_id
from natm_bot.core.durations import DurationError, parse_seconds

__all__ = ["BRIDGE_PUPPETS", "OnboardingSection"]

# Bridge puppets and the bridges' own bots: they get no welcome.
BRIDGE_PUPPETS = (
    r"@telegram_.*",
    r"@whatsapp_.*",
    r"@signal_.*",
    r"@_discord_.*",
    r"@discord_.*",
    r"@irc_.*",
    r"@slack_.*",
    r"@facebook_.*",
    r"@instagram_.*",
    r"@meta_.*",
    r"@_?gitter_.*",
)


def _pattern(value: str) -> str:
    """A regular expression matched against a whole Matrix id."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"is not a regular expression ({exc}): {value!r}") from exc
    return value


def _seconds(value: object) -> int:
    """Seconds from `3d`, `12h`, `90m` or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError("must be a duration like 3d")
    if isinstance(value, int):
        return value
    try:
        return parse_seconds(str(value))
    except DurationError as exc:
        raise ValueError(f"must be a duration like 3d or 12h, not {value!r}") from exc


class OnboardingSection(Strict):
    """Newcomers welcomed by direct message in the rooms listed (or switched on in chat with
    `!welcome on`); off everywhere by default."""

    # The rooms (by id) where a first join is welcomed, unless a moderator switched it off.
    rooms: list[Annotated[str, AfterValidator(room_id)]] = Field(default_factory=list)
    # How long after the welcome one reminder goes to a person who chose nothing.
    follow_up: Annotated[int, BeforeValidator(_seconds)] = Field(
        default=3 * 86400, ge=3600, le=90 * 86400
    )
    # A short public greeting naming the newcomers, at most one per room per 10 minutes.
    greet_in_room: bool = True
    # Matrix ids matching any of these (whole id) get no welcome: bridge puppets, other bots.
    ignore: list[Annotated[str, AfterValidator(_pattern)]] = Field(
        default_factory=lambda: list(BRIDGE_PUPPETS)
    )

    def ignored(self, user: str) -> bool:
        """Whether this Matrix id is a bridge puppet or a bot that gets no welcome."""
        return any(re.fullmatch(p, user, re.IGNORECASE) for p in self.ignore)
