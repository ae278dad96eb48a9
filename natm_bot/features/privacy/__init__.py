"""What the bot holds about a person: show, erase, audit."""
