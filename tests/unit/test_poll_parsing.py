"""What people type to open a poll and to vote, whatever it is: a poll that can be kept, or a
clear error; never a crash, never a vote for an option that does not exist."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from natm_bot.core.errors import UsageError
from natm_bot.features.polls.ballots import read_choice
from natm_bot.features.polls.drafting import FIELDS, MAX_OPTIONS, read_draft
from natm_bot.storage.polls import Poll

NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
HOSTILE = st.text(
    alphabet=st.characters(codec="utf-8"), max_size=60
) | st.sampled_from(
    ["0", "-1", "99999999999999999999", "1/0", "0%", "101%", "2/3", "50%", "yes", "no",
     "proposal", "time", "2027-01-15 18:00", "2027-02-30 10:00", "**bold** @room",
     "!room:other.example", "\u202eexe", "a; b; c", ";;;", "1; 1", "\x00\x1b[31m"]
)  # fmt: skip


def _poll(kind: str, options: tuple[str, ...], most: int = 1) -> Poll:
    return Poll(
        id=7,
        room_id="!r:x",
        creator="@a:x",
        kind=kind,
        question="q",
        options=options,
        max_choices=most,
        quorum="",
        threshold="",
        voters="room",
        hidden=False,
        secret=False,
        timezone="UTC",
        opened_at=NOW,
        closes_at=NOW,
    )


@given(st.dictionaries(st.sampled_from(FIELDS), HOSTILE, max_size=len(FIELDS)))
def test_any_fields_give_a_sound_poll_or_a_usage_error(fields: dict[str, str]) -> None:
    try:
        draft = read_draft(fields, NOW, "UTC")
    except UsageError as error:
        assert str(error).strip()
        return
    assert draft.kind in ("proposal", "choice", "multiple", "time")
    assert 2 <= len(draft.options) <= MAX_OPTIONS
    assert 1 <= draft.max_choices <= len(draft.options)
    assert draft.closes_at > NOW
    assert "\n" not in draft.question and draft.question.strip()


@given(HOSTILE, st.sampled_from(["proposal", "choice", "multiple"]))
def test_any_typed_vote_names_existing_options_or_is_refused(typed: str, kind: str) -> None:
    options = (
        ("agree", "abstain", "disagree", "block")
        if kind == "proposal"
        else ("Data centres", "AI", "Digital ID")
    )
    poll = _poll(kind, options, 2 if kind == "multiple" else 1)
    try:
        choice = read_choice(poll, typed)
    except UsageError as error:
        assert str(error).strip()
        return
    assert choice.options and len(set(choice.options)) == len(choice.options)
    assert all(0 <= option < len(options) for option in choice.options)
    assert len(choice.options) <= poll.max_choices
    assert "\n" not in choice.reason and len(choice.reason) <= 500


@pytest.mark.parametrize(
    ("typed", "options", "reason"),
    [
        ("1", (0,), ""),
        ("block it names no budget", (3,), "it names no budget"),
        ("En desacuerdo", (2,), ""),
        ("abstención porque sí", (1,), "porque sí"),
        ("4 no budget", (3,), "no budget"),
    ],
)
def test_a_proposal_vote_reads_numbers_and_words_in_four_languages(
    typed: str, options: tuple[int, ...], reason: str
) -> None:
    choice = read_choice(_poll("proposal", ("agree", "abstain", "disagree", "block")), typed)
    assert (choice.options, choice.reason) == (options, reason)


def test_several_options_for_a_multiple_poll_and_too_many_refused() -> None:
    poll = _poll("multiple", ("a", "b", "c", "d"), 2)
    assert read_choice(poll, "1, 3").options == (0, 2)
    with pytest.raises(UsageError, match="at most 2"):
        read_choice(poll, "1 2 3")
