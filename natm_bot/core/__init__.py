"""Shared building blocks: messages, errors, the clock, text safety, supervised jobs."""
