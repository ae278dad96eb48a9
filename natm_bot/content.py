"""The movement's content from data/*.yaml, validated at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from natm_bot.validation import (
    FileProblems,
    LocalText,
    RoomRef,
    Strict,
    Url,
    UserIdStr,
    validate_file,
)


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

    @model_validator(mode="after")
    def _numbered(self) -> PrinciplesFile:
        numbers = [p.number for p in self.principles]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"principles must be numbered 1, 2, 3… in order, found {numbers}")
        return self


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

    @property
    def link(self) -> str | None:
        """Where to read it: the DOI resolver when there is a DOI, else the URL."""
        return f"https://doi.org/{self.doi}" if self.doi else self.url


class ReadingsFile(Strict):
    """data/readings.yaml"""

    readings: list[Reading] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ReadingsFile:
        _require_unique("readings", [r.id for r in self.readings])
        return self


class Term(Strict):
    """A glossary entry."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    term: LocalText
    aliases: list[str] = Field(default_factory=list)
    definition: LocalText
    see_also: list[str] = Field(default_factory=list)


class GlossaryFile(Strict):
    """data/glossary.yaml"""

    terms: list[Term] = Field(min_length=1)

    @model_validator(mode="after")
    def _links(self) -> GlossaryFile:
        ids = [t.id for t in self.terms]
        _require_unique("terms", ids)
        for term in self.terms:
            unknown = [ref for ref in term.see_also if ref not in ids]
            if unknown:
                raise ValueError(f"term {term.id!r}: see_also names unknown terms {unknown}")
        return self


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


class GroupsFile(Strict):
    """data/groups.yaml"""

    groups: list[GroupSeed] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> GroupsFile:
        _require_unique("groups", [g.id for g in self.groups])
        names = [n.casefold() for g in self.groups for n in (g.id, g.name, *g.aliases)]
        _require_unique("group names and aliases", names)
        return self


def _require_unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    dupes = sorted({v for v in values if v in seen or seen.add(v)})  # type: ignore[func-returns-value]
    if dupes:
        raise ValueError(f"{what} must be unique; repeated: {', '.join(dupes)}")


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


def load_content(data_dir: Path) -> Content:
    """Validate every data file, then build Content; raise FileProblems naming file and key."""
    problems: list[str] = []
    loaded: dict[str, Strict] = {}
    for stem, model in _FILES.items():
        try:
            loaded[stem] = validate_file(model, data_dir / f"{stem}.yaml")
        except FileProblems as exc:
            problems.extend(exc.problems)
    if problems:
        raise FileProblems(problems)
    return Content(**loaded)  # type: ignore[arg-type]
