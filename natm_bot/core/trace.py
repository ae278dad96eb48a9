"""Where the time of one command goes, stage by stage, from the sync response that brought it
to the reply sent and recorded: on when the environment has NATM_BOT_TRACE=1, else nothing is
kept and each mark costs one dictionary lookup.

Stages, in the order a command meets them (each line shows the time since the one before):
`nio` the sync response parsed and decrypted by nio after its body arrived, `read` the
command found in the timeline, `inbox` saved with the sync token, `queue` waiting for its
room's worker, `dispatch` the command run, `render` its reply turned into body and HTML, `keys`
room keys checked and shared, `send` the homeserver's answer to the send, `done` recorded as
answered. One line per command at INFO on the `natm_bot.trace` logger, naming the event and
never its text: `trace $event nio=0.8 read=0.1 inbox=1.4 … reply=17.2 done=18.3`, where
`reply` is the sum up to the reply sent and `done` up to the end."""

from __future__ import annotations

import itertools
import logging
import os
import time

log = logging.getLogger("natm_bot.trace")

TRACE_ENV = "NATM_BOT_TRACE"
STAGES = ("nio", "read", "inbox", "queue", "dispatch", "render", "keys", "send", "done")
_BEFORE_REPLY = STAGES[: STAGES.index("send") + 1]
_LIMIT = 10_000  # traces open at once; beyond, new ones are not started


class Trace:
    """The stage marks of the commands under way, by event id."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._open: dict[str, list[tuple[str, float]]] = {}

    @property
    def under_way(self) -> int:
        """How many commands are being traced now."""
        return len(self._open)

    def begin(self, event_id: str, arrived: float, parsed: float) -> None:
        """A command found in a sync response: `arrived` when nio had the body (the
        response's end time), `parsed` when nio had handled the whole response."""
        if self.enabled and len(self._open) < _LIMIT:
            self._open[event_id] = [("", arrived), ("nio", parsed), ("read", time.time())]

    def mark(self, event_id: str, stage: str) -> None:
        """A command reached the end of `stage`."""
        marks = self._open.get(event_id) if self.enabled else None
        if marks is not None:
            marks.append((stage, time.time()))

    def end(self, event_id: str) -> None:
        """A command recorded as answered: log its line and forget it."""
        marks = self._open.pop(event_id, None) if self.enabled else None
        if marks is None:
            return
        marks.append(("done", time.time()))
        spent: dict[str, float] = {}
        for (_, before), (stage, after) in itertools.pairwise(marks):
            spent[stage] = spent.get(stage, 0.0) + (after - before) * 1000
        reply = sum(ms for stage, ms in spent.items() if stage in _BEFORE_REPLY)
        total = (marks[-1][1] - marks[0][1]) * 1000
        parts = " ".join(f"{stage}={spent[stage]:.2f}" for stage in STAGES if stage in spent)
        log.info("trace %s %s reply=%.2f total=%.2f", event_id, parts, reply, total)


TRACE = Trace(os.environ.get(TRACE_ENV) == "1")
