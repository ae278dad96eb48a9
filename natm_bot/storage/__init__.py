"""Everything that touches SQLite lives in this package."""

from __future__ import annotations

from natm_bot.storage.database import Database, StorageError, StorageUnavailable, unavailable

__all__ = ["Database", "StorageError", "StorageUnavailable", "unavailable"]
