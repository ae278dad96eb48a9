"""The coalition Space: its children kept by the bot."""
