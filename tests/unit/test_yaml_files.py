"""Reading YAML files: repeated keys are named with their lines, nothing in a file crashes the
reading, and no content of a file makes a check fail other than with a named problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natm_bot.config.content import (
    AboutFile,
    GlossaryFile,
    GroupsFile,
    PrinciplesFile,
    ReadingsFile,
)
from natm_bot.config.settings import Config
from natm_bot.config.validation import FileProblems, Strict, parse_yaml, validate_file
from tests.conftest import examples

FILES = settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
keys = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


def _write(tmp_path: Path, text: str, name: str = "file.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@FILES
@given(data=st.dictionaries(keys, values, max_size=6))
def test_yaml_without_repeats_reads_as_pyyaml_reads_it(
    tmp_path: Path, data: dict[str, Any]
) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    assert parse_yaml(_write(tmp_path, text)) == (yaml.safe_load(text), [])


@FILES
@given(pairs=st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 9)), max_size=12))
def test_every_repeated_key_is_named_with_its_lines(
    tmp_path: Path, pairs: list[tuple[str, int]]
) -> None:
    text = "top:\n" + "".join(f"  {key}: {value}\n" for key, value in pairs)
    expected: list[tuple[tuple[str, ...], str]] = []
    first: dict[str, int] = {}
    for number, (key, _) in enumerate(pairs, start=2):
        if key in first:
            message = f"given twice, on lines {first[key]} and {number}: keep one"
            expected.append((("top", key), message))
        first.setdefault(key, number)
    data, repeated = parse_yaml(_write(tmp_path, text))
    assert repeated == expected
    assert data == {"top": dict(pairs) if pairs else None}


@FILES
@given(text=st.text(max_size=200))
def test_no_text_makes_reading_fail_other_than_with_a_named_problem(
    tmp_path: Path, text: str
) -> None:
    path = _write(tmp_path, text)
    try:
        parse_yaml(path)
    except FileProblems as exc:
        assert all(line.startswith(f"{path}: ") for line in exc.problems)


def test_anchors_and_merges_are_not_repeats(tmp_path: Path) -> None:
    text = "base: &base {a: 1, b: 2}\none: {<<: *base, b: 3}\ntwo:\n  <<: *base\n  a: 4\n"
    data, repeated = parse_yaml(_write(tmp_path, text))
    assert repeated == []
    assert data["one"] == {"a": 1, "b": 3} and data["two"] == {"a": 4, "b": 2}


def test_keys_equal_as_values_are_repeats(tmp_path: Path) -> None:
    _, repeated = parse_yaml(_write(tmp_path, "m:\n  1: a\n  1.0: b\n  '1': c\n"))
    assert repeated == [(("m", "1.0"), "given twice, on lines 2 and 3: keep one")]


# Whatever a file holds where a model expects its lists, the checks across entries name
# problems and never fail themselves.
MODELS: list[tuple[type[Strict], list[str]]] = [
    (Config, ["bot", "announcements", "meetings", "safety", "matrix", "base_dir"]),
    (GroupsFile, ["groups"]),
    (GlossaryFile, ["terms"]),
    (ReadingsFile, ["readings"]),
    (PrinciplesFile, ["principles", "source"]),
    (AboutFile, ["member_categories", "name"]),
]
entry_keys = st.sampled_from(
    ["id", "name", "aliases", "rooms", "admins", "reminders", "number", "see_also", "term",
     "coordinators", "doi", "authors", "start", "repeat", "timezone", "text", "en"]
)  # fmt: skip
entry_values = st.recursive(
    scalars | st.sampled_from(["x", "X", "@a:b.c", "!r:b.c", "1h", "60m", "UTC"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(entry_keys, inner, max_size=5),
    max_leaves=25,
)


@FILES
@given(which=st.integers(0, len(MODELS) - 1), data=st.data())
def test_no_content_makes_a_check_fail_other_than_with_a_named_problem(
    tmp_path: Path, which: int, data: st.DataObject
) -> None:
    model, fields = MODELS[which]
    raw = data.draw(st.dictionaries(st.sampled_from(fields), entry_values, max_size=3))
    try:
        validate_file(model, tmp_path / "f.yaml", raw)
    except FileProblems as exc:
        assert all(line.startswith(f"{tmp_path / 'f.yaml'}: ") for line in exc.problems)
