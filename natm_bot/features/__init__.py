"""The bot's features, one package each; they know nothing of Matrix or front ends."""
