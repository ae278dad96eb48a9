"""Test and demo infrastructure: a throwaway homeserver and an in-memory chat."""
