"""Everything that touches SQLite lives in this package."""

from __future__ import annotations

from natm_bot.storage.database import Database, StorageError, StorageUnavailable, unavailable
from natm_bot.storage.soundness import DatabaseUnusable

__all__ = ["Database", "DatabaseUnusable", "StorageError", "StorageUnavailable", "unavailable"]
