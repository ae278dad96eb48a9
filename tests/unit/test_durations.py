"""One reading of lengths of time, for chat and for bot.yaml."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from natm_bot.core.durations import UNIT_SECONDS, DurationError, parse_seconds


@pytest.mark.parametrize(
    ("text", "bare", "seconds"),
    [
        ("90", "s", 90),
        ("90", "m", 5400),
        ("1h30m", "s", 5400),
        ("1h 30min", "s", 5400),
        ("2D", "s", 172_800),
        ("1w1d", "s", 691_200),
        ("0", "m", 0),
    ],
)
def test_lengths_of_time(text: str, bare: str, seconds: int) -> None:
    assert parse_seconds(text, bare=bare) == seconds


@pytest.mark.parametrize("text", ["", "h", "-5m", "1.5h", "1h-30m", "an hour", "5y", "1234567s"])
def test_what_is_not_a_length_of_time_is_refused(text: str) -> None:
    with pytest.raises(DurationError):
        parse_seconds(text)


@given(
    st.lists(
        st.tuples(st.integers(0, 999_999), st.sampled_from(sorted(UNIT_SECONDS))),
        min_size=1,
        max_size=4,
    )
)
def test_any_written_length_reads_back_as_its_sum(parts: list[tuple[int, str]]) -> None:
    text = " ".join(f"{number}{unit}" for number, unit in parts)
    assert parse_seconds(text) == sum(number * UNIT_SECONDS[unit] for number, unit in parts)


@given(st.text(max_size=40))
def test_any_text_is_a_length_or_refused_plainly(text: str) -> None:
    try:
        seconds = parse_seconds(text)
    except DurationError as exc:
        assert str(exc) in ("is not a length of time", "is far too long a time")
    else:
        assert 0 <= seconds <= len(text) * 999_999 * UNIT_SECONDS["w"]
