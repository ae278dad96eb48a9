"""The meeting records that commands and views work with; storage keeps them."""

from __future__ import annotations

from natm_bot.storage.announcements import AnnouncementRecord
from natm_bot.storage.meetings import Answered, Meeting

__all__ = ["AnnouncementRecord", "Answered", "Meeting"]
