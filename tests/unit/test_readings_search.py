"""Finding readings: any text is a query, and the search finds every reading that holds the
words (title, authors, topics in every language, venue, note in every language), titles
first; a topic that is not declared, or a topic name that names two, stops the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from natm_bot.config.content import Reading, ReadingsFile, load_content
from natm_bot.config.paths import bundled
from natm_bot.config.validation import FileProblems, validate_file
from natm_bot.core.text import fold, search_words
from natm_bot.features.readings import parse_query, rank, search, topic_counts

CONTENT = load_content(bundled("data"))
TOPICS = {topic.id: topic for topic in CONTENT.topics}


@given(st.text(max_size=120))
@example("")
@example("   ")
@example("intro")
@example("TÓPICOS")
@example("!!! ???")
@example("data colonialism topics")
def test_any_text_is_a_query_and_the_search_ranks_what_it_finds(text: str) -> None:
    query = parse_query(text)
    assert (query.kind == "all") == (not text.strip())
    assert all(word == fold(word) and word.strip() for word in query.words)
    if query.kind != "search":
        assert query.words == ()
        return
    found = search(CONTENT.readings, CONTENT.topics, query.words)
    assert len({reading.id for reading in found}) == len(found)
    places = [rank(query.words, reading, TOPICS) for reading in found]
    assert None not in places and places == sorted(p or 0 for p in places)
    missed = [r for r in CONTENT.readings if r not in found]
    assert all(rank(query.words, reading, TOPICS) is None for reading in missed)


@given(st.sampled_from(CONTENT.readings), st.data())
def test_a_word_of_a_title_author_or_topic_finds_its_reading(
    reading: Reading, data: st.DataObject
) -> None:
    names = [name for tag in reading.topics for name in TOPICS[tag].name.values()]
    word = data.draw(
        st.sampled_from(search_words(" ".join([reading.title, *reading.authors, *names])))
    )
    typed = data.draw(st.sampled_from([word, word.upper(), word[: max(1, len(word) // 2)]]))
    query = parse_query(typed)
    if query.kind == "search":
        assert reading in search(CONTENT.readings, CONTENT.topics, query.words)


def test_the_keywords_and_the_plain_words() -> None:
    assert parse_query("intro").kind == "intro"
    for typed in ("topics", "Temas", "sujets", "TÓPICOS", " themes "):
        assert parse_query(typed).kind == "topics", typed
    assert parse_query("colonial topics").words == ("colonial", "topics")
    assert parse_query("Soberanía  DIGITAL").words == ("soberania", "digital")


def test_a_note_is_searched_in_every_language_after_the_title() -> None:
    note = {"en": "On seeds.", "es": "Sobre la soberanía alimentaria."}
    extra = Reading.model_validate(
        {"id": "x", "title": "Seeds", "authors": ["A. Person"], "year": 2020, "note": note}
    )
    found = search([*CONTENT.readings, extra], CONTENT.topics, ["alimentaria"])
    assert found == [extra]
    assert rank(["soberania"], extra, TOPICS) == 3
    assert rank(["seeds"], extra, TOPICS) == 0


def test_every_topic_has_readings_and_every_reading_a_topic() -> None:
    counts = dict(
        (topic.id, count) for topic, count in topic_counts(CONTENT.readings, CONTENT.topics)
    )
    assert set(counts) == set(TOPICS)
    assert all(reading.topics for reading in CONTENT.readings)
    assert counts["data-colonialism"] == 7


@pytest.mark.parametrize(
    ("topics", "tags", "problem"),
    [
        ("", "[nowhere]", "readings.0.topics.0: 'nowhere' is not the id of any topic"),
        ("", "[a, a]", "readings.0.topics.1: 'a' is listed twice"),
        (
            "  - id: b\n    name: {en: A}\n",
            "[a]",
            "topics.1.name.en: 'A' already names the topic 'a'",
        ),
    ],
)
def test_topics_are_checked(tmp_path: Path, topics: str, tags: str, problem: str) -> None:
    path = tmp_path / "readings.yaml"
    path.write_text(
        "topics:\n  - id: a\n    name: {en: a, es: á}\n" + topics + "readings:\n"
        "  - {id: r, title: T, authors: [X], year: 2020, topics: " + tags + "}\n",
        encoding="utf-8",
    )
    with pytest.raises(FileProblems) as raised:
        validate_file(ReadingsFile, path)
    assert any(problem in line for line in raised.value.problems), raised.value.problems
