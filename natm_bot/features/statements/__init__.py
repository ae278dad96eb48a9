"""Statements and campaigns that member organisations endorse."""
