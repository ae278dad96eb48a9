"""natm-bot: a Matrix bot for the community rooms of the Non-Aligned Technologies Movement."""

from __future__ import annotations

__version__ = "0.1.0"
