"""Polls and decisions: proposals, choices and times, counted once per voter by the rules."""
