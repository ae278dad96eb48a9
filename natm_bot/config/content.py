"""The movement's content from data/*.yaml, validated at start-up."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from natm_bot.config.validation import (
    FileProblems,
    LocalText,
    Problem,
    RoomRef,
    Strict,
    Url,
    UserIdStr,
    entries,
    listed_twice,
    repeated_ids,
    repeats,
    text_key,
    validate_file,
)
from natm_bot.core.text import name_key


def localized(text: dict[str, str], lang: str) -> str:
    """The text in `lang`, falling back to English."""
    return text.get(lang) or text["en"]


class Principle(Strict):
    """One of the movement's principles, quoted as written."""

    number: int = Field(ge=1)
    title: LocalText
    text: LocalText


class PrinciplesFile(Strict):
    """data/principles.yaml"""

    source: LocalText
    principles: list[Principle] = Field(min_length=1)

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """The principles are numbered 1, 2, 3… in order."""
        for index, entry in enumerate(entries(raw, "principles")):
            number = entry.get("number") if isinstance(entry, Mapping) else None
            if isinstance(number, int) and number != index + 1:
                message = f"is {number}, but this is principle {index + 1}: number them 1, 2, 3…"
                yield ("principles", index, "number"), message


class Topic(Strict):
    """A topic readings are tagged with, named in each language (`!readings topics`)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: LocalText


class Reading(Strict):
    """A suggested reading."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    authors: list[str] = Field(min_length=1)
    venue: str | None = None
    year: int = Field(ge=1900, le=2100)
    date: str | None = None
    kind: Literal["article", "book"] = "article"
    intro: bool = False
    doi: str | None = Field(default=None, pattern=r"^10\.\d{4,9}/\S+$")
    url: Url | None = None
    details: str | None = None
    note: LocalText | None = None
    topics: list[str] = Field(default_factory=list)

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each author and each topic once."""
        yield from listed_twice(raw, "authors")
        yield from listed_twice(raw, "topics")

    @property
    def link(self) -> str | None:
        """Where to read it: the DOI resolver when there is a DOI, else the URL."""
        return f"https://doi.org/{self.doi}" if self.doi else self.url


class ReadingsFile(Strict):
    """data/readings.yaml"""

    topics: list[Topic] = Field(default_factory=list)
    readings: list[Reading] = Field(min_length=1)

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each reading once: by its id, and by its DOI (which names one work); each topic
        name leads to one topic (as `!readings` compares them), and a reading's topics are
        topics of the file."""
        yield from repeated_ids(raw, "readings", "reading")
        dois = [e.get("doi") if isinstance(e, Mapping) else None for e in entries(raw, "readings")]
        for index, doi in repeats(dois, text_key(str.casefold)):
            yield ("readings", index, "doi"), f"{doi!r} is already the DOI of another reading"
        yield from name_clashes(raw, "topics", "topic", _names_in("name"), name_key)
        yield from _unknown_ids(
            raw,
            ("readings", "topics"),
            "topics",
            "{!r} is not the id of any topic under `topics:`",
        )


def _unknown_ids(
    raw: Mapping[str, Any], where: tuple[str, str], targets: str, problem: str
) -> Iterator[Problem]:
    """Each id listed under `where` (entries, field) that no entry of `targets` has."""
    known = {str(e.get("id")) for e in entries(raw, targets) if isinstance(e, Mapping)}
    section, field = where
    for index, entry in enumerate(entries(raw, section)):
        refs = entries(entry, field) if isinstance(entry, Mapping) else []
        for at, ref in enumerate(refs):
            if isinstance(ref, str) and ref not in known:
                yield (section, index, field, at), problem.format(ref)


class Term(Strict):
    """A glossary entry."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    term: LocalText
    aliases: list[str] = Field(default_factory=list)
    definition: LocalText
    see_also: list[str] = Field(default_factory=list)

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each related term once."""
        yield from listed_twice(raw, "see_also")


class GlossaryFile(Strict):
    """data/glossary.yaml"""

    terms: list[Term] = Field(min_length=1)

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each word leads to one term (as `!glossary` looks it up), and every see_also names
        a term of the glossary."""
        yield from name_clashes(raw, "terms", "term", _names_in("term"), name_key)
        yield from _unknown_ids(
            raw, ("terms", "see_also"), "terms", "{!r} is not the id of any term"
        )


class Milestone(Strict):
    """A dated event in the movement's history."""

    date: str
    text: LocalText


class RelatedNetwork(Strict):
    """A network the movement works alongside."""

    name: str
    text: LocalText


class MemberCategory(Strict):
    """A kind of member organisation."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: LocalText
    description: LocalText


class AboutFile(Strict):
    """data/about.yaml"""

    name: str
    short_name: str
    website: Url
    forum: Url
    hashtag: str = Field(pattern=r"^#\w+$")
    summary: LocalText
    get_involved: LocalText
    history: list[Milestone] = Field(default_factory=list)
    related: list[RelatedNetwork] = Field(default_factory=list)
    member_categories: list[MemberCategory] = Field(min_length=1)

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each category id and name leads to one category, compared as members' categories
        are looked up (case, accents, hyphens aside)."""
        yield from name_clashes(raw, "member_categories", "category", _names_in("name"), name_key)


# More would be no working group, and the stored number must fit SQLite's 64-bit integers.
MAX_CAPACITY = 100_000


class GroupSeed(Strict):
    """A working group as declared in data/groups.yaml (the database holds the live state)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=80)
    aliases: list[str] = Field(default_factory=list)
    description: LocalText
    room: RoomRef | None = None
    coordinators: list[UserIdStr] = Field(default_factory=list)
    capacity: int | None = Field(default=None, ge=1, le=MAX_CAPACITY)
    member_list: Literal["coordinators", "public"] = "coordinators"
    open: bool = True

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each coordinator once."""
        yield from listed_twice(raw, "coordinators", str.casefold)


class GroupsFile(Strict):
    """data/groups.yaml"""

    groups: list[GroupSeed] = Field(default_factory=list)

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each id, name and alias leads to one group, compared as `!join` compares them."""
        yield from name_clashes(raw, "groups", "group", _names_in("name"), name_key)


NamesOf = Callable[[Mapping[str, Any]], Iterator[tuple[tuple[str | int, ...], Any]]]


def _names_in(field: str) -> NamesOf:
    """The names of an entry: its id, its `field` (one text or one per language), its aliases."""

    def names(entry: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
        yield ("id",), entry.get("id")
        value = entry.get(field)
        if isinstance(value, Mapping):
            yield from (((field, lang), text) for lang, text in value.items())
        else:
            yield (field,), value
        yield from ((("aliases", at), alias) for at, alias in enumerate(entries(entry, "aliases")))

    return names


def name_clashes(
    raw: Mapping[str, Any], field: str, what: str, names_of: NamesOf, key: Callable[[str], str]
) -> Iterator[Problem]:
    """A problem for each name of an entry of `raw[field]` that an earlier entry already has
    (an entry may repeat its own names: `ed-tech` and `ed tech`)."""
    owners: dict[str, Any] = {}
    for index, entry in enumerate(entries(raw, field)):
        if not isinstance(entry, Mapping):
            continue
        own: dict[str, Any] = {}
        for loc, name in names_of(entry):
            if not isinstance(name, str):
                continue
            if key(name) in owners:
                owner = owners[key(name)]
                if loc == ("id",) and key(str(owner)) == key(name):
                    yield (field, index, *loc), f"{name!r} is already the id of another {what}"
                else:
                    yield (field, index, *loc), f"{name!r} already names the {what} {owner!r}"
            own.setdefault(key(name), entry.get("id", index))
        for each_key, owner in own.items():
            owners.setdefault(each_key, owner)


class Content:
    """Everything the movement says about itself, loaded once at start-up."""

    def __init__(
        self,
        principles: PrinciplesFile,
        readings: ReadingsFile,
        glossary: GlossaryFile,
        about: AboutFile,
        groups: GroupsFile,
    ) -> None:
        self.principles = principles.principles
        self.principles_source = principles.source
        self.readings = readings.readings
        self.topics = readings.topics
        self.terms = glossary.terms
        self.about = about
        self.groups = groups.groups


_FILES: dict[str, type[Strict]] = {
    "principles": PrinciplesFile,
    "readings": ReadingsFile,
    "glossary": GlossaryFile,
    "about": AboutFile,
    "groups": GroupsFile,
}


MembersCheck = Callable[[Path, Sequence[MemberCategory]], None]


def load_content(data_dir: Path, check_members: MembersCheck | None = None) -> Content:
    """Validate every data file, then build Content; raise FileProblems naming file and key
    of every problem. members.yaml is checked by `check_members` (the members feature's own
    rules, given by whoever builds the bot) when it is given."""
    problems: list[str] = []
    loaded: dict[str, Strict] = {}
    for stem, model in _FILES.items():
        try:
            loaded[stem] = validate_file(model, data_dir / f"{stem}.yaml")
        except FileProblems as exc:
            problems.extend(exc.problems)
    about, members = loaded.get("about"), data_dir / "members.yaml"
    if check_members and isinstance(about, AboutFile) and members.exists():
        try:
            check_members(members, about.member_categories)
        except FileProblems as exc:
            problems.extend(exc.problems)
    if problems:
        raise FileProblems(problems)
    return Content(**loaded)  # type: ignore[arg-type]
