"""Rooms the bot follows: a room upgraded is followed to its replacement."""
