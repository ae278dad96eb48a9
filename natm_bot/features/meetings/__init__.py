"""Meetings: planning, recurrence, announcements, calendar files."""
