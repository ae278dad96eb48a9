"""Counting a poll: whose vote counts, the tally and outcome, and the ranking of a time poll.

Pure functions of the ballots: no clock, no storage. A voter's last valid vote at or before
the close counts (ballots ordered by the homeserver's timestamp, then the event id, so the
order in which they arrive changes nothing); a vote after the close, an invalid one or one
from outside the electorate is not counted. Shares are `Fraction`s, times aware datetimes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, replace
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from fractions import Fraction
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo


class Kind(StrEnum):
    """What a poll asks for: a decision, one option, several options, or a time."""

    PROPOSAL = "proposal"
    CHOICE = "choice"
    MULTIPLE = "multiple"
    TIME = "time"


PROPOSAL_OPTIONS = ("agree", "abstain", "disagree", "block")  # option 0..3 of a proposal
AGREE, ABSTAIN, DISAGREE, BLOCK = range(4)
HALF = Fraction(1, 2)
DAY_STARTS, DAY_ENDS = 8, 22  # a local time outside [08:00, 22:00) is outside hours
_FORMAT = 1  # the version of the stored outcome


@dataclass(frozen=True)
class Quorum:
    """How many must vote: either a share of the electorate or a number of voters."""

    share: Fraction | None = None  # 0 < share <= 1
    count: int | None = None  # >= 1

    def __post_init__(self) -> None:
        if (self.share is None) == (self.count is None):
            raise ValueError("a quorum is either a share or a count")
        if self.share is not None and not 0 < self.share <= 1:
            raise ValueError("a quorum's share is more than 0 and at most 1")
        if self.count is not None and self.count < 1:
            raise ValueError("a quorum's count is at least 1")

    def needed(self, electorate: int) -> int:
        """How many voters reach the quorum among `electorate` people (or organisations)."""
        if self.share is not None:
            return ceil(self.share * electorate)
        return self.count or 0


@dataclass(frozen=True)
class Rules:
    """What counts in one poll: its kind, options, limits and closing time."""

    kind: Kind
    options: int  # how many options (4 for a proposal)
    _: KW_ONLY
    max_choices: int = 1  # > 1 only for MULTIPLE; a time poll takes any number of options
    quorum: Quorum | None = None
    threshold: Fraction | None = None  # None: strictly more than half
    closes_at: datetime  # aware, UTC

    def __post_init__(self) -> None:
        if self.options < 1 or self.max_choices < 1:
            raise ValueError("a poll has at least one option and allows at least one")
        if self.kind is Kind.PROPOSAL and self.options != len(PROPOSAL_OPTIONS):
            raise ValueError("a proposal has exactly the four proposal options")
        if self.threshold is not None and not 0 < self.threshold <= 1:
            raise ValueError("a threshold is more than 0 and at most 1")
        if self.closes_at.utcoffset() is None:
            raise ValueError("the closing time must be aware")

    @property
    def most_choices(self) -> int:
        """How many options one ballot may hold."""
        if self.kind is Kind.MULTIPLE:
            return self.max_choices
        return self.options if self.kind is Kind.TIME else 1


@dataclass(frozen=True)
class Ballot:
    """One vote as cast: a tap on a native poll or a typed vote."""

    voter: str  # who holds the vote: a Matrix id, "org:<id>", or a secret digest
    person: str  # who cast it ("" for a secret ballot); for org votes, the delegate
    choices: tuple[int, ...]  # 0-based option indexes; () withdraws the voter's vote
    at: datetime  # the homeserver's timestamp of the vote (aware, UTC)
    event: str  # the event id (or a derived key): the tie-break for equal `at`
    reason: str = ""

    def __post_init__(self) -> None:
        if self.at.utcoffset() is None:
            raise ValueError("a ballot's time must be aware")


def _order(ballot: Ballot) -> tuple[datetime, str, str, tuple[int, ...], str, str]:
    """The order ballots are read in: by time, then event id (every field, so it is total)."""
    return (ballot.at, ballot.event, ballot.voter, ballot.choices, ballot.person, ballot.reason)


def valid(rules: Rules, ballot: Ballot) -> bool:
    """Whether a ballot can count: a withdrawal, or distinct options in range within the limit."""
    return _fits(ballot.choices, rules.most_choices, rules.options)


def _fits(choices: tuple[int, ...], most: int, options: int) -> bool:
    if not choices:
        return True
    return (
        len(choices) <= most
        and min(choices) >= 0
        and max(choices) < options
        and len(set(choices)) == len(choices)
    )


def counted(
    rules: Rules, ballots: Iterable[Ballot], electorate: frozenset[str]
) -> dict[str, Ballot]:
    """Per voter of the electorate, their last valid ballot at or before the close (by time,
    then event id), unless that ballot withdrew their vote; in the order of the voters."""
    most, options, close = rules.most_choices, rules.options, rules.closes_at
    last: dict[str, tuple[tuple[datetime, str, str, tuple[int, ...], str, str], Ballot]] = {}
    for ballot in ballots:
        if ballot.voter not in electorate or ballot.at > close:
            continue
        key = _order(ballot)
        held = last.get(ballot.voter)
        if (held is None or key > held[0]) and _fits(ballot.choices, most, options):
            last[ballot.voter] = (key, ballot)
    return {voter: last[voter][1] for voter in sorted(last) if last[voter][1].choices}


def late(rules: Rules, ballots: Iterable[Ballot]) -> list[Ballot]:
    """The ballots cast after the close, in order (to tell their people they did not count)."""
    return sorted((ballot for ballot in ballots if ballot.at > rules.closes_at), key=_order)


@dataclass(frozen=True)
class Outcome:
    """The result of a poll, as stored and shown."""

    kind: Kind
    counts: tuple[int, ...]  # per option
    voted: int  # voters counted
    electorate: int
    quorum_needed: int  # 0 when there is no quorum
    quorum_reached: bool
    passed: bool | None  # a proposal: passed; a choice with a threshold: reached; else None
    winners: tuple[int, ...]  # the most voted option(s); () for a proposal or no votes
    blocks: tuple[tuple[str, str], ...]  # a proposal's counted blocks: (person, reason)
    # a time poll's voters (of those counted) outside 08:00-22:00 per option, at the close
    outside: tuple[int, ...] = ()

    def to_json(self) -> str:
        """The outcome as stable JSON (sorted keys, a format version) for storing."""
        data = {
            "v": _FORMAT,
            "kind": self.kind.value,
            "counts": list(self.counts),
            "voted": self.voted,
            "electorate": self.electorate,
            "quorum_needed": self.quorum_needed,
            "quorum_reached": self.quorum_reached,
            "passed": self.passed,
            "winners": list(self.winners),
            "blocks": [list(block) for block in self.blocks],
            "outside": list(self.outside),
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Outcome:
        """The outcome stored by `to_json`; ValueError for anything else."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("v") != _FORMAT:
                raise ValueError("not a stored outcome")
            return cls(
                kind=Kind(data["kind"]),
                counts=_ints(data["counts"]),
                voted=_int(data["voted"]),
                electorate=_int(data["electorate"]),
                quorum_needed=_int(data["quorum_needed"]),
                quorum_reached=_bool(data["quorum_reached"]),
                passed=None if data["passed"] is None else _bool(data["passed"]),
                winners=_ints(data["winners"]),
                blocks=_pairs(data["blocks"]),
                outside=_ints(data.get("outside", [])),
            )
        except (KeyError, TypeError, RecursionError) as broken:
            raise ValueError("not a stored outcome") from broken


def _int(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("not a count")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("not a yes or no")
    return value


def _ints(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ValueError("not a list of counts")
    return tuple(_int(item) for item in value)


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(s, str) for s in pair)
        for pair in value
    ):
        raise ValueError("not a list of blocks")
    return tuple((pair[0], pair[1]) for pair in value)


def option_counts(rules: Rules, votes: Iterable[Ballot]) -> tuple[int, ...]:
    """How many of the counted ballots hold each option."""
    counts = [0] * rules.options
    for ballot in votes:
        for choice in ballot.choices:
            counts[choice] += 1
    return tuple(counts)


def most_voted(counts: Sequence[int]) -> tuple[int, ...]:
    """The option(s) with the most votes, ties all listed; () when nobody voted."""
    top = max(counts, default=0)
    return tuple(index for index, count in enumerate(counts) if top and count == top)


def proposal_passes(rules: Rules, counts: Sequence[int], quorum_reached: bool) -> bool:
    """A proposal passes with the quorum, no block, and enough agreement: agree over agree,
    disagree and block (abstentions left out), above half or at least the threshold."""
    cast = counts[AGREE] + counts[DISAGREE] + counts[BLOCK]
    if not quorum_reached or counts[BLOCK] or not cast:
        return False
    share = Fraction(counts[AGREE], cast)
    return share >= rules.threshold if rules.threshold is not None else share > HALF


def _threshold_reached(rules: Rules, counts: Sequence[int], voted: int, reached: bool) -> bool:
    """Whether the most voted option holds the threshold's share of the voters (with quorum)."""
    if rules.threshold is None:
        raise ValueError("no threshold")
    return reached and voted > 0 and Fraction(max(counts), voted) >= rules.threshold


def tally(rules: Rules, ballots: Iterable[Ballot], electorate: frozenset[str]) -> Outcome:
    """The outcome of a poll from every ballot cast in it and the electorate."""
    return outcome_of(rules, counted(rules, ballots, electorate), len(electorate))


def outcome_of(rules: Rules, votes: Mapping[str, Ballot], electorate: int) -> Outcome:
    """The outcome of a poll from its counted ballots (`counted`) and the electorate's size."""
    counts = option_counts(rules, votes.values())
    needed = rules.quorum.needed(electorate) if rules.quorum is not None else 0
    reached = len(votes) >= needed
    passed: bool | None = None
    winners: tuple[int, ...] = ()
    blocks: tuple[tuple[str, str], ...] = ()
    if rules.kind is Kind.PROPOSAL:
        passed = proposal_passes(rules, counts, reached)
        in_order = sorted(votes.values(), key=_order)
        blocks = tuple((b.person, b.reason) for b in in_order if b.choices == (BLOCK,))
    else:
        winners = most_voted(counts)
        if rules.threshold is not None and rules.kind is not Kind.TIME:
            passed = _threshold_reached(rules, counts, len(votes), reached)
    return Outcome(
        kind=rules.kind,
        counts=counts,
        voted=len(votes),
        electorate=electorate,
        quorum_needed=needed,
        quorum_reached=reached,
        passed=passed,
        winners=winners,
        blocks=blocks,
    )


@dataclass(frozen=True)
class Slot:
    """One option of a time poll, as ranked."""

    option: int
    at: datetime
    available: int  # voters who ticked it
    outside_hours: int  # voters (of all who voted) for whom it is outside 08:00-22:00 local


def outside_hours(at: datetime, zone: tzinfo) -> bool:
    """Whether `at` falls before 08:00 or at/after 22:00 of the local day in `zone`."""
    hour = at.astimezone(zone).hour
    return hour < DAY_STARTS or hour >= DAY_ENDS


def rank_slots(
    starts: Sequence[datetime],
    counted: Mapping[str, Ballot],
    zones: Mapping[str, ZoneInfo],
    *,
    default: tzinfo = UTC,
) -> tuple[Slot, ...]:
    """The options of a time poll best first: most available, then fewest voters outside
    their hours, then earliest. A voter without a zone in `zones` is read in `default`."""
    available = [0] * len(starts)
    in_zone: Counter[tzinfo] = Counter()
    for voter, ballot in counted.items():
        in_zone[zones.get(voter, default)] += 1
        for choice in ballot.choices:
            if 0 <= choice < len(starts):
                available[choice] += 1
    slots = [
        Slot(
            option=option,
            at=at,
            available=available[option],
            outside_hours=sum(n for zone, n in in_zone.items() if outside_hours(at, zone)),
        )
        for option, at in enumerate(starts)
    ]
    return _ranked(slots)


def _ranked(slots: Iterable[Slot]) -> tuple[Slot, ...]:
    return tuple(sorted(slots, key=lambda s: (-s.available, s.outside_hours, s.at, s.option)))


def stored_slots(outcome: Outcome, starts: Sequence[datetime]) -> tuple[Slot, ...]:
    """A closed time poll's ranking again from its stored outcome (the votes are gone by
    then); () for an outcome that kept no hours."""
    if len(outcome.outside) != len(starts) or len(outcome.counts) != len(starts):
        return ()
    return _ranked(
        Slot(option=option, at=at, available=outcome.counts[option], outside_hours=outside)
        for option, (at, outside) in enumerate(zip(starts, outcome.outside, strict=True))
    )


def best_slots(slots: Sequence[Slot]) -> tuple[int, ...]:
    """The option(s) of ranked slots tied for best on availability and hours; () when none
    was ticked."""
    if not slots or not slots[0].available:
        return ()
    first = slots[0]
    return tuple(
        s.option
        for s in slots
        if (s.available, s.outside_hours) == (first.available, first.outside_hours)
    )


def tally_time(
    rules: Rules,
    ballots: Iterable[Ballot],
    electorate: frozenset[str],
    starts: Sequence[datetime],
    zones: Mapping[str, ZoneInfo],
    *,
    default: tzinfo = UTC,
) -> tuple[Outcome, tuple[Slot, ...]]:
    """A time poll's outcome, its winners the best slot(s) of the ranking, and the ranking."""
    if rules.kind is not Kind.TIME or len(starts) != rules.options:
        raise ValueError("a time poll has one start per option")
    votes = counted(rules, ballots, electorate)
    outcome = outcome_of(rules, votes, len(electorate))
    slots = rank_slots(starts, votes, zones, default=default)
    outside = tuple(s.outside_hours for s in sorted(slots, key=lambda s: s.option))
    return replace(outcome, winners=best_slots(slots), outside=outside), slots
