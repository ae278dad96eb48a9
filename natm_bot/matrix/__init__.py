"""The Matrix adapter: session, sync and intake, events to messages, sending, crypto."""
