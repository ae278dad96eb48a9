"""The per-stage trace of a command: one line per command with each stage's share, nothing
kept when it is off, never any text of the command."""

from __future__ import annotations

import logging
import re
import time

import pytest

from natm_bot.core.trace import STAGES, Trace

LINE = re.compile(r"trace (\$\S+) ((?:\w+=[0-9.]+ )+)reply=([0-9.]+) total=([0-9.]+)")


def _run(trace: Trace, event: str) -> None:
    now = time.time()
    trace.begin(event, now - 0.004, now - 0.003)
    for stage in ("inbox", "queue", "dispatch", "render", "keys", "send"):
        trace.mark(event, stage)
    trace.end(event)


def test_one_line_per_command_with_every_stage_in_order(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="natm_bot.trace")
    _run(Trace(True), "$command")
    [record] = caplog.records
    found = LINE.fullmatch(record.getMessage())
    assert found is not None, record.getMessage()
    spent = dict(part.split("=") for part in found.group(2).split())
    assert list(spent) == list(STAGES)
    assert float(spent["nio"]) >= 0.9  # the response was read 1 ms before nio was done
    before_reply = sum(float(spent[s]) for s in STAGES[: STAGES.index("send") + 1])
    assert float(found.group(3)) == pytest.approx(before_reply, abs=0.05)
    assert float(found.group(4)) >= float(found.group(3))


def test_a_stage_met_twice_adds_up_and_an_unknown_event_is_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="natm_bot.trace")
    trace = Trace(True)
    now = time.time()
    trace.begin("$two", now, now)
    trace.mark("$two", "send")
    trace.mark("$two", "send")  # two replies
    trace.mark("$elsewhere", "send")  # never begun: nothing
    trace.end("$elsewhere")
    trace.end("$two")
    [record] = caplog.records
    assert record.getMessage().count("send=") == 1 and "$elsewhere" not in record.getMessage()


def test_off_it_keeps_nothing_and_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    trace = Trace(False)
    _run(trace, "$command")
    assert caplog.records == [] and trace.under_way == 0
