"""Finding readings: what `!readings` was asked, and the readings that fit, best first.

Every word typed must be in the reading, whole or as a word's start, compared folded (case
and accents aside, as `core.text.fold` compares everything people type). A reading is
searched in its title, its authors, its topics (by id and by their names in every
language), its venue and its note in every language; it ranks by where the words are: all
whole words of the title first, then all in the title as words' starts, then in title,
authors and topics, then anywhere. Readings of one rank keep the file's order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from natm_bot.config.content import Reading, Topic
from natm_bot.core.text import search_words, word_match

# `!readings topics` in each language the bot speaks (folded: `tópicos` is `topicos`).
TOPIC_WORDS = frozenset({"topics", "topic", "temas", "topicos", "sujets", "themes"})
INTRO_WORDS = frozenset({"intro"})

Kind = Literal["all", "intro", "topics", "search"]


@dataclass(frozen=True)
class Query:
    """What `!readings` was asked: all of them, the introductions, the topics, or a search
    for `words` (folded)."""

    kind: Kind
    words: tuple[str, ...] = ()


def parse_query(text: str) -> Query:
    """The query typed after `!readings`; any text is a query (words with no letter or
    digit in them search for nothing, and find nothing)."""
    words = tuple(search_words(text))
    if not text.strip():
        return Query("all")
    if len(words) == 1 and words[0] in INTRO_WORDS:
        return Query("intro")
    if len(words) == 1 and words[0] in TOPIC_WORDS:
        return Query("topics")
    return Query("search", words)


def _topic_words(reading: Reading, topics: Mapping[str, Topic]) -> list[str]:
    words = []
    for tag in reading.topics:
        words += search_words(tag)
        if tag in topics:
            words += search_words(" ".join(topics[tag].name.values()))
    return words


def rank(words: Sequence[str], reading: Reading, topics: Mapping[str, Topic]) -> int | None:
    """Where a reading fits the words (0 best, 3 last), or None when one word is in none
    of its fields."""
    if not words:
        return None
    title = search_words(reading.title)
    people = [*title, *search_words(" ".join(reading.authors)), *_topic_words(reading, topics)]
    notes = reading.note.values() if reading.note else ()
    rest = [*people, *search_words(" ".join([reading.venue or "", *notes]))]
    for place, fields in enumerate((title, title, people, rest)):
        fit = word_match(words, fields)
        if fit == 2 or (fit and place > 0):
            return place
    return None


def search(
    readings: Sequence[Reading], topics: Sequence[Topic], words: Sequence[str]
) -> list[Reading]:
    """The readings that hold every word, best first (see the module's note)."""
    by_id = {topic.id: topic for topic in topics}
    ranked = []
    for at, reading in enumerate(readings):
        place = rank(words, reading, by_id)
        if place is not None:
            ranked.append((place, at, reading))
    return [reading for _, _, reading in sorted(ranked, key=lambda found: found[:2])]


def topic_counts(readings: Sequence[Reading], topics: Sequence[Topic]) -> list[tuple[Topic, int]]:
    """Each topic with how many readings it has, the most read first (then the file's
    order); topics no reading has are left out."""
    counts = Counter(tag for reading in readings for tag in reading.topics)
    listed = [(topic, counts[topic.id]) for topic in topics if counts[topic.id]]
    return sorted(listed, key=lambda pair: -pair[1])
