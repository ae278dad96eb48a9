"""The meeting records that commands and views work with; storage keeps them."""

from __future__ import annotations

from natm_bot.storage.announcements import AnnouncementRecord
from natm_bot.storage.meetings import Answered, Meeting
from natm_bot.storage.minutes import MinuteLine

__all__ = ["AnnouncementRecord", "Answered", "Meeting", "MinuteLine"]
