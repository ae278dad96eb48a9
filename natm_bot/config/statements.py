"""The `statements:` section of bot.yaml: where milestones of statements are announced, which
numbers of organisations are milestones, and how long endorsers have to confirm a new
version."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, field_validator

from natm_bot.config.onboarding import _seconds
from natm_bot.config.validation import Strict, room_id

__all__ = ["StatementsSection"]


class StatementsSection(Strict):
    """Statements that member organisations endorse."""

    # The rooms (by id) where each milestone of a statement is announced, once.
    rooms: list[Annotated[str, AfterValidator(room_id)]] = Field(default_factory=list)
    # Numbers of endorsing organisations announced as milestones.
    milestones: list[Annotated[int, Field(ge=1, le=100_000)]] = Field(
        default_factory=lambda: [10, 25, 50, 100], max_length=50
    )
    # How long organisations that endorsed an earlier version have to confirm a new one;
    # after that they are listed under the version they endorsed only.
    reconfirm: Annotated[int, BeforeValidator(_seconds)] = Field(
        default=30 * 86400, ge=3600, le=365 * 86400
    )

    @field_validator("milestones")
    @classmethod
    def _ordered(cls, value: list[int]) -> list[int]:
        """Each milestone once, smallest first."""
        return sorted(set(value))
