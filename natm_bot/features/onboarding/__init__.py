"""Newcomers welcomed by direct message in their language, led into the working groups."""
