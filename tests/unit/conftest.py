"""Fixtures shared by the unit tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture
def keep_umask() -> Iterator[None]:
    """The command line makes its files private with the process's umask: put it back."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)
