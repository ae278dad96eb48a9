"""Counting a poll: examples of each kind, a time poll across a change of clocks, and
properties that hold for any sequence of votes, changes, late votes and outsiders."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from natm_bot.features.polls.counting import (
    ABSTAIN,
    AGREE,
    BLOCK,
    DISAGREE,
    Ballot,
    Kind,
    Outcome,
    Quorum,
    Rules,
    counted,
    late,
    outside_hours,
    rank_slots,
    tally,
    tally_time,
    valid,
)
from tests.conftest import examples

CLOSE = datetime(2027, 1, 15, 17, 0, tzinfo=UTC)
ORGS = frozenset(f"org:{n}" for n in range(1, 7))
HALF = Quorum(share=Fraction(1, 2))


def ballot(
    voter: str,
    *choices: int,
    seconds: int = -60,
    event: str = "",
    person: str = "",
    reason: str = "",
) -> Ballot:
    """A ballot `seconds` from the close (before it when negative)."""
    at = CLOSE + timedelta(seconds=seconds)
    return Ballot(voter, person or voter, choices, at, event or f"${voter}{seconds}", reason)


def proposal(**kwargs: object) -> Rules:
    return Rules(Kind.PROPOSAL, 4, closes_at=CLOSE, **kwargs)  # type: ignore[arg-type]


# ----- examples -------------------------------------------------------------------------------


def test_a_proposal_with_the_quorum_and_a_majority_passes() -> None:
    votes = [ballot(f"org:{n}", AGREE) for n in range(1, 5)] + [ballot("org:5", ABSTAIN)]
    outcome = tally(proposal(quorum=HALF), votes, ORGS)
    assert outcome == Outcome(
        kind=Kind.PROPOSAL,
        counts=(4, 1, 0, 0),
        voted=5,
        electorate=6,
        quorum_needed=3,
        quorum_reached=True,
        passed=True,
        winners=(),
        blocks=(),
    )


def test_one_block_stops_a_proposal_and_names_its_blocker_and_reason() -> None:
    votes = [ballot(f"org:{n}", AGREE) for n in range(1, 5)] + [
        ballot("org:5", BLOCK, person="@ana:example.org", reason="it breaks principle 3")
    ]
    outcome = tally(proposal(quorum=HALF), votes, ORGS)
    assert outcome.passed is False
    assert outcome.counts == (4, 0, 0, 1)
    assert outcome.blocks == (("@ana:example.org", "it breaks principle 3"),)


def test_a_block_withdrawn_before_the_close_no_longer_blocks() -> None:
    votes = [
        ballot("org:1", AGREE),
        ballot("org:2", BLOCK, seconds=-90, reason="no"),
        ballot("org:2", AGREE, seconds=-30),
    ]
    outcome = tally(proposal(), votes, ORGS)
    assert (outcome.passed, outcome.blocks, outcome.counts) == (True, (), (2, 0, 0, 0))


def test_two_of_six_do_not_reach_a_half_quorum() -> None:
    votes = [ballot("org:1", AGREE), ballot("org:2", AGREE)]
    outcome = tally(proposal(quorum=HALF), votes, ORGS)
    assert (outcome.voted, outcome.electorate) == (2, 6)
    assert (outcome.quorum_needed, outcome.quorum_reached, outcome.passed) == (3, False, False)


def test_a_quorum_of_a_number_of_voters() -> None:
    assert Quorum(count=4).needed(6) == 4
    assert Quorum(share=Fraction(1, 3)).needed(7) == 3  # 7/3 rounded up
    votes = [ballot(f"org:{n}", AGREE) for n in range(1, 4)]
    assert tally(proposal(quorum=Quorum(count=4)), votes, ORGS).quorum_reached is False


def test_a_threshold_is_over_the_votes_cast_leaving_out_abstentions() -> None:
    electorate = frozenset(f"@p{n}:x" for n in range(10))
    four_agree = [ballot(f"@p{n}:x", AGREE) for n in range(4)]
    abstain = [ballot(f"@p{n}:x", ABSTAIN) for n in range(7, 10)]
    two_against = [ballot("@p4:x", DISAGREE), ballot("@p5:x", DISAGREE)]
    rules = proposal(threshold=Fraction(2, 3))
    assert tally(rules, four_agree + two_against + abstain, electorate).passed is True  # 4/6
    three_against = [*two_against, ballot("@p6:x", DISAGREE)]
    assert tally(rules, four_agree + three_against + abstain, electorate).passed is False  # 4/7


def test_without_a_threshold_a_proposal_needs_more_than_half() -> None:
    even = [ballot("@a:x", AGREE), ballot("@b:x", DISAGREE), ballot("@c:x", ABSTAIN)]
    voters = frozenset({"@a:x", "@b:x", "@c:x"})
    assert tally(proposal(), even, voters).passed is False  # 1/2 is not more than half
    only_abstentions = [ballot("@c:x", ABSTAIN)]
    assert tally(proposal(), only_abstentions, voters).passed is False


def test_a_choice_lists_every_option_tied_for_most_votes() -> None:
    rules = Rules(Kind.CHOICE, 3, closes_at=CLOSE)
    voters = frozenset({"@a:x", "@b:x", "@c:x", "@d:x"})
    votes = [ballot("@a:x", 0), ballot("@b:x", 2), ballot("@c:x", 0), ballot("@d:x", 2)]
    outcome = tally(rules, votes, voters)
    assert (outcome.counts, outcome.winners, outcome.passed) == ((2, 0, 2), (0, 2), None)


def test_a_choice_with_a_threshold_passes_when_its_winner_holds_that_share() -> None:
    rules = Rules(Kind.CHOICE, 2, threshold=Fraction(3, 4), closes_at=CLOSE)
    voters = frozenset({"@a:x", "@b:x", "@c:x", "@d:x"})
    three = [ballot("@a:x", 1), ballot("@b:x", 1), ballot("@c:x", 1), ballot("@d:x", 0)]
    assert tally(rules, three, voters).passed is True
    assert tally(rules, three[1:], voters).passed is False  # 2 of 3


def test_a_multiple_poll_counts_up_to_its_maximum_and_ignores_a_ballot_over_it() -> None:
    rules = Rules(Kind.MULTIPLE, 4, max_choices=2, closes_at=CLOSE)
    voters = frozenset({"@a:x", "@b:x"})
    votes = [
        ballot("@a:x", 0, 3, seconds=-100),
        ballot("@a:x", 0, 1, 2, seconds=-50),  # three of four: ignored, not a withdrawal
        ballot("@b:x", 3),
    ]
    outcome = tally(rules, votes, voters)
    assert (outcome.counts, outcome.voted, outcome.winners) == ((1, 0, 0, 2), 2, (3,))
    assert counted(rules, votes, voters)["@a:x"].choices == (0, 3)


def test_invalid_ballots_are_ignored() -> None:
    rules = Rules(Kind.CHOICE, 3, closes_at=CLOSE)
    for choices in [(3,), (-1,), (0, 1), (1, 1)]:
        assert not valid(rules, ballot("@a:x", *choices))
    assert valid(rules, ballot("@a:x"))  # a withdrawal
    assert not valid(proposal(), ballot("@a:x", AGREE, BLOCK))


def test_a_withdrawal_takes_the_vote_back_and_a_later_vote_counts_again() -> None:
    rules = Rules(Kind.CHOICE, 2, closes_at=CLOSE)
    voters = frozenset({"@a:x"})
    vote, withdrawal = ballot("@a:x", 1, seconds=-300), ballot("@a:x", seconds=-200)
    assert counted(rules, [vote, withdrawal], voters) == {}
    again = ballot("@a:x", 0, seconds=-100)
    assert counted(rules, [again, withdrawal, vote], voters) == {"@a:x": again}


def test_a_late_vote_is_not_counted_and_is_returned_by_late() -> None:
    rules = Rules(Kind.CHOICE, 2, closes_at=CLOSE)
    voters = frozenset({"@a:x", "@b:x"})
    on_time, at_close = ballot("@a:x", 0), ballot("@b:x", 1, seconds=0)
    too_late = ballot("@a:x", 1, seconds=2)
    outcome = tally(rules, [too_late, on_time, at_close], voters)
    assert outcome.counts == (1, 1)
    assert late(rules, [too_late, on_time, at_close]) == [too_late]


def test_a_vote_from_outside_the_electorate_is_not_counted() -> None:
    outsider = ballot("@stranger:evil.example", AGREE)
    outcome = tally(proposal(), [outsider, ballot("org:1", DISAGREE)], ORGS)
    assert (outcome.counts, outcome.voted, outcome.passed) == ((0, 0, 1, 0), 1, False)


def test_two_delegates_of_one_organisation_count_once_the_last_vote_winning() -> None:
    first = ballot("org:3", DISAGREE, seconds=-20, person="@one:x")
    second = ballot("org:3", AGREE, seconds=-10, person="@two:x")
    assert counted(proposal(), [second, first], ORGS) == {"org:3": second}


def test_votes_at_the_same_instant_are_ordered_by_event_id() -> None:
    rules = Rules(Kind.CHOICE, 2, closes_at=CLOSE)
    a = ballot("@a:x", 0, seconds=-5, event="$b")
    b = ballot("@a:x", 1, seconds=-5, event="$a")
    assert counted(rules, [a, b], frozenset({"@a:x"})) == {"@a:x": a}
    assert counted(rules, [b, a], frozenset({"@a:x"})) == {"@a:x": a}


def test_rules_quorums_and_ballots_refuse_what_cannot_be_counted() -> None:
    naive = datetime(2027, 1, 1, 12, 0)
    with pytest.raises(ValueError):
        Quorum()
    with pytest.raises(ValueError):
        Quorum(share=Fraction(3, 2))
    with pytest.raises(ValueError):
        Quorum(count=0)
    with pytest.raises(ValueError):
        Rules(Kind.PROPOSAL, 3, closes_at=CLOSE)
    with pytest.raises(ValueError):
        Rules(Kind.CHOICE, 2, threshold=Fraction(0), closes_at=CLOSE)
    with pytest.raises(ValueError):
        Rules(Kind.CHOICE, 2, closes_at=naive)
    with pytest.raises(ValueError):
        Ballot("@a:x", "@a:x", (0,), naive, "$e")


@pytest.mark.parametrize(
    "text",
    ["", "[]", "{}", '{"v": 2}', '{"v": 1, "kind": "choice"}', "null", '"text"'],
)
def test_a_damaged_stored_outcome_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Outcome.from_json(text)
    good = tally(proposal(), [ballot("org:1", BLOCK, reason="non")], ORGS).to_json()
    with pytest.raises(ValueError):
        Outcome.from_json(good.replace('"voted":1', '"voted":true'))


# ----- a time poll across a change of clocks --------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")  # the organiser's zone: summer time from 2027-03-28 02:00
BOGOTA, LAGOS, KOLKATA, SINGAPORE = (
    ZoneInfo(name) for name in ("America/Bogota", "Africa/Lagos", "Asia/Kolkata", "Asia/Singapore")
)
ZONES = {"@bog:x": BOGOTA, "@utc:x": ZoneInfo("UTC"), "@lag:x": LAGOS}
ZONES |= {"@kol:x": KOLKATA, "@sin:x": SINGAPORE}


def test_a_time_poll_across_the_european_change_of_clocks_ranks_by_hand_figures() -> None:
    # Typed by the organiser in Berlin: 09:00 and 16:00 on the Saturday (CET, UTC+1) and on
    # the Sunday (CEST, UTC+2). Written here in UTC by hand, not converted by code.
    starts = [
        datetime(2027, 3, 27, 8, 0, tzinfo=UTC),  # A: Sat 09:00 Berlin
        datetime(2027, 3, 28, 7, 0, tzinfo=UTC),  # B: Sun 09:00 Berlin
        datetime(2027, 3, 27, 15, 0, tzinfo=UTC),  # C: Sat 16:00 Berlin
        datetime(2027, 3, 28, 14, 0, tzinfo=UTC),  # D: Sun 16:00 Berlin
    ]
    assert [s.astimezone(BERLIN).hour for s in starts] == [9, 9, 16, 16]
    # Local hours (Bogota UTC-5, UTC, Lagos UTC+1, Kolkata UTC+5:30, Singapore UTC+8):
    #   A 08:00Z: 03:00 out, 08:00, 09:00, 13:30, 16:00              -> 1 outside
    #   B 07:00Z: 02:00 out, 07:00 out, 08:00, 12:30, 15:00          -> 2 outside
    #   C 15:00Z: 10:00, 15:00, 16:00, 20:30, 23:00 out              -> 1 outside
    #   D 14:00Z: 09:00, 14:00, 15:00, 19:30, 22:00 out (22 is out)  -> 1 outside
    ticks = {
        "@bog:x": (2, 3),
        "@utc:x": (0, 2, 3),
        "@lag:x": (0, 1, 2, 3),
        "@kol:x": (0, 1, 3),
        "@sin:x": (1, 2, 3),
    }
    ballots = [ballot(voter, *options) for voter, options in ticks.items()]
    rules = Rules(Kind.TIME, 4, closes_at=CLOSE)
    outcome, slots = tally_time(rules, ballots, frozenset(ZONES), starts, ZONES)
    # Available: A 3 (utc, lag, kol), B 3 (lag, kol, sin), C 4 (bog, utc, lag, sin), D 5.
    assert [(s.option, s.available, s.outside_hours) for s in slots] == [
        (3, 5, 1),
        (2, 4, 1),
        (0, 3, 1),
        (1, 3, 2),
    ]
    assert slots[0].at == datetime(2027, 3, 28, 14, 0, tzinfo=UTC)
    assert (outcome.counts, outcome.winners, outcome.voted) == ((3, 3, 4, 5), (3,), 5)


def test_the_local_day_follows_each_voters_own_change_of_clocks() -> None:
    london, new_york = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
    # 07:30Z is 07:30 GMT on the Saturday, 08:30 BST on the Sunday.
    assert outside_hours(datetime(2027, 3, 27, 7, 30, tzinfo=UTC), london)
    assert not outside_hours(datetime(2027, 3, 28, 7, 30, tzinfo=UTC), london)
    # 02:30Z is 21:30 EST on Saturday 13 March, 22:30 EDT on Sunday 14 March 2027.
    assert not outside_hours(datetime(2027, 3, 14, 2, 30, tzinfo=UTC), new_york)
    assert outside_hours(datetime(2027, 3, 15, 2, 30, tzinfo=UTC), new_york)


def test_equal_slots_rank_earliest_first_and_a_voter_without_a_zone_reads_utc() -> None:
    starts = [datetime(2027, 5, 2, 12, 0, tzinfo=UTC), datetime(2027, 5, 1, 23, 0, tzinfo=UTC)]
    votes = {"@a:x": ballot("@a:x", 0, 1), "@b:x": ballot("@b:x", 0, 1)}
    slots = rank_slots(starts, votes, {"@a:x": SINGAPORE})  # 20:00 and 07:00 in Singapore
    assert [(s.option, s.outside_hours) for s in slots] == [(0, 0), (1, 2)]
    slots = rank_slots(starts, votes, {"@a:x": KOLKATA})  # 17:30 and 04:30 in Kolkata
    assert [(s.option, s.outside_hours) for s in slots] == [(0, 0), (1, 2)]
    later = [starts[0], starts[0] + timedelta(hours=1)]
    assert [s.option for s in rank_slots(later[::-1], votes, {})] == [1, 0]


# ----- properties -----------------------------------------------------------------------------

VOTERS = ["@v1:x", "@v2:x", "@v3:x", "org:1", "org:2"]
OUTSIDERS = ["@out:evil.example", "org:99"]


@st.composite
def polls(draw: st.DrawFn) -> tuple[Rules, list[Ballot], frozenset[str]]:
    """Rules of any kind, an electorate, and ballots: changes of mind, withdrawals, invalid
    and late votes, outsiders, and many at the same instant with the same event id."""
    kind = draw(st.sampled_from(list(Kind)))
    options = 4 if kind is Kind.PROPOSAL else draw(st.integers(1, 5))
    rules = Rules(
        kind,
        options,
        max_choices=draw(st.integers(1, options)) if kind is Kind.MULTIPLE else 1,
        quorum=draw(st.none() | st.builds(Quorum, count=st.integers(1, 9))),
        threshold=draw(st.none() | st.fractions(Fraction(1, 10), 1)),
        closes_at=CLOSE,
    )
    electorate = frozenset(draw(st.sets(st.sampled_from(VOTERS), min_size=1)))
    one = st.builds(
        Ballot,
        voter=st.sampled_from(VOTERS) | st.sampled_from(OUTSIDERS),
        person=st.sampled_from(["@p:x", "@q:x", ""]),
        choices=st.lists(st.integers(0, options - 1), min_size=1, max_size=1).map(tuple)
        | st.lists(st.integers(-1, 5), max_size=4).map(tuple),
        at=st.integers(-2, 1).map(lambda s: CLOSE + timedelta(seconds=s)),
        event=st.sampled_from(["$a", "$b"]),
        reason=st.sampled_from(["", "no", "later"]),
    )
    return rules, draw(st.lists(one, min_size=1, max_size=30)), electorate


@settings(max_examples=examples(100))
@given(polls())
def test_each_voter_counts_at_most_once_with_their_last_valid_vote(
    poll: tuple[Rules, list[Ballot], frozenset[str]],
) -> None:
    rules, ballots, electorate = poll
    votes = counted(rules, ballots, electorate)
    assert set(votes) <= electorate and len(votes) <= len(electorate)
    for voter in electorate:
        mine = [b for b in ballots if b.voter == voter and b.at <= CLOSE and valid(rules, b)]
        if voter in votes:
            kept = votes[voter]
            assert kept in mine and kept.choices and kept.voter == voter
            assert not any((b.at, b.event) > (kept.at, kept.event) for b in mine)
        else:  # never voted, or the last valid vote was a withdrawal
            last = max(((b.at, b.event) for b in mine), default=None)
            assert last is None or any(not b.choices for b in mine if (b.at, b.event) == last)
    assert all(b.at > CLOSE for b in late(rules, ballots))
    assert len(late(rules, ballots)) == sum(b.at > CLOSE for b in ballots)


@settings(max_examples=examples(100))
@given(polls())
def test_the_counts_add_up_to_the_counted_ballots(
    poll: tuple[Rules, list[Ballot], frozenset[str]],
) -> None:
    rules, ballots, electorate = poll
    outcome = tally(rules, ballots, electorate)
    votes = counted(rules, ballots, electorate)
    assert outcome.voted == len(votes) <= outcome.electorate == len(electorate)
    assert sum(outcome.counts) == sum(len(b.choices) for b in votes.values())
    assert all(count <= outcome.voted for count in outcome.counts)
    if rules.kind in (Kind.PROPOSAL, Kind.CHOICE):
        assert sum(outcome.counts) == outcome.voted
    if outcome.passed:
        assert outcome.quorum_reached and not outcome.blocks
    assert len(outcome.blocks) == (outcome.counts[BLOCK] if rules.kind is Kind.PROPOSAL else 0)


@settings(max_examples=examples(100))
@given(polls(), st.data())
def test_the_order_events_arrive_in_changes_nothing(
    poll: tuple[Rules, list[Ballot], frozenset[str]], data: st.DataObject
) -> None:
    rules, ballots, electorate = poll
    shuffled = data.draw(st.permutations(ballots))
    assert tally(rules, shuffled, electorate) == tally(rules, ballots, electorate)
    assert counted(rules, shuffled, electorate) == counted(rules, ballots, electorate)
    assert late(rules, shuffled) == late(rules, ballots)


@settings(max_examples=examples(100))
@given(polls())
def test_an_outcome_survives_storing(poll: tuple[Rules, list[Ballot], frozenset[str]]) -> None:
    outcome = tally(*poll)
    assert Outcome.from_json(outcome.to_json()) == outcome


@given(
    st.builds(
        Outcome,
        kind=st.sampled_from(list(Kind)),
        counts=st.lists(st.integers(0, 10**9)).map(tuple),
        voted=st.integers(0, 10**9),
        electorate=st.integers(0, 10**9),
        quorum_needed=st.integers(0, 10**9),
        quorum_reached=st.booleans(),
        passed=st.none() | st.booleans(),
        winners=st.lists(st.integers(0, 20)).map(tuple),
        blocks=st.lists(st.tuples(st.text(), st.text())).map(tuple),
    )
)
def test_any_outcome_survives_storing(outcome: Outcome) -> None:
    text = outcome.to_json()
    assert Outcome.from_json(text) == outcome
    assert Outcome.from_json(text).to_json() == text
    assert replace(outcome, voted=outcome.voted + 1).to_json() != text
