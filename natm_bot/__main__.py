"""`python -m natm_bot` runs the command line."""

from __future__ import annotations

import sys

from natm_bot.frontends.cli import main

sys.exit(main())
