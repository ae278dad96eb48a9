"""Log lines as JSON: one object per line, the fields a log shipper reads."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from natm_bot.config.settings import load_config
from natm_bot.frontends.logs import JsonLines

ROOT = Path(__file__).resolve().parents[2]


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "natm_bot.engine", logging.WARNING, __file__, 1, "a %s", ("b",), None
    )
    record.__dict__.update(extra)
    return record


def test_a_record_is_one_line_of_json_with_its_extra_fields() -> None:
    line = JsonLines().format(_record(ref="ab12cd34"))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "natm_bot.engine"
    assert entry["message"] == "a b"
    assert entry["ref"] == "ab12cd34"
    assert entry["time"].endswith("+00:00")


def test_an_exception_stays_inside_the_one_line() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        record = _record()
        record.exc_info = sys.exc_info()
    line = JsonLines().format(record)
    assert len(line.splitlines()) == 1
    assert "ValueError: broken" in json.loads(line)["exception"]


def test_the_example_config_documents_the_format() -> None:
    assert load_config(ROOT / "bot.example.yaml").bot.log_format == "text"
    assert "log_format: text" in (ROOT / "bot.example.yaml").read_text()
