"""How the bot's log lines are written: as text for a person at a terminal, or as one JSON
object per line for journald and log shippers. Either way a line holds what the bot's own
log calls say, never message text, tokens or passwords: those are never logged, and the
libraries that would log them are kept at WARNING and above (see `configure`)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, then any `extra=` fields,
    and the exception's traceback as `exception` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str, form: Literal["text", "json"] = "text") -> None:
    """The bot's own loggers at the configured level; libraries only warn, to stderr.

    Libraries' debug output can carry message text and tokens (aiosqlite logs query
    parameters, nio logs requests), and logs must never hold either."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if form == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    for ours in ("natm_bot", "natm_bot_commands"):
        logging.getLogger(ours).setLevel(level)
    for noisy in ("nio", "peewee"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
