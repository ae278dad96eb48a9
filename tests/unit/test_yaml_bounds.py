"""Every YAML file the bot reads is bounded: in bytes, in nesting and in what its aliases
expand to. A "billion laughs" of 342 bytes is refused, naming the file, instead of keeping
`check-config` and the bot's start busy for hours."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from natm_bot.config.validation import FileProblems, parse_yaml
from natm_bot.config.yaml_loader import LIMITS, Limits, Loader, TooLarge, read_bounded
from tests.conftest import examples

ROOT = Path(__file__).resolve().parents[2]
LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{before}'] * 9)}]\n"
    for before, name in zip("abcdefgh", "bcdefghi", strict=True)
)  # nine levels of nine: 9⁹ = 387,420,489 strings


def _write(folder: Path, text: str, name: str = "bot.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_billion_laughs_is_refused_naming_the_file(tmp_path: Path) -> None:
    assert len(LAUGHS.encode()) < 1024
    path = _write(tmp_path, LAUGHS)
    with pytest.raises(FileProblems) as refused:
        parse_yaml(path)
    assert refused.value.problems == [
        f"{path}: its aliases expand it to more than 250,000 values; refusing it"
    ]


@pytest.mark.parametrize("name", ["bot.yaml", "data/about.yaml"])
def test_check_config_refuses_a_billion_laughs_at_once(tmp_path: Path, name: str) -> None:
    """Before, `check-config` on this file ran for hours: the timeout ends the test then."""
    data = tmp_path / "data"
    data.mkdir()
    for bundled in (ROOT / "data").glob("*.yaml"):
        (data / bundled.name).write_text(bundled.read_text(encoding="utf-8"), encoding="utf-8")
    config = _write(tmp_path, "paths:\n  database: bot.sqlite3\n  data_dir: data\n")
    bomb = _write(tmp_path, LAUGHS, name)
    done = subprocess.run(
        [sys.executable, "-m", "natm_bot", "check-config", "-c", str(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"{bomb}: its aliases expand it to more than 250,000 values" in done.stderr


def test_nesting_deeper_than_the_limit_is_refused(tmp_path: Path) -> None:
    deepest = LIMITS.max_depth
    fine = _write(tmp_path, "[" * deepest + "x" + "]" * deepest, "fine.yaml")
    assert parse_yaml(fine)[0] is not None
    path = _write(tmp_path, "[" * (deepest + 1) + "]" * (deepest + 1))
    with pytest.raises(FileProblems) as refused:
        parse_yaml(path)
    assert refused.value.problems == [
        f"{path}: lists and mappings are nested more than {deepest} deep; refusing it"
    ]


def test_nesting_through_aliases_counts_too(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x]"] + [f"a{n}: &a{n} [*a{n - 1}]" for n in range(1, LIMITS.max_depth)]
    path = _write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(FileProblems) as refused:
        parse_yaml(path)
    assert "nested more than 64 deep" in refused.value.problems[0]


def test_an_alias_inside_what_it_names_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "loop: &loop [1, *loop]\n")
    with pytest.raises(FileProblems) as refused:
        parse_yaml(path)
    assert refused.value.problems == [
        f"{path}: an alias refers to the list or mapping it is inside; refusing it"
    ]


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "members.yaml"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("# " + "x" * (LIMITS.max_bytes - 3) + "\n")
    assert len(read_bounded(path)) == LIMITS.max_bytes  # at the limit: read
    with path.open("a", encoding="utf-8") as handle:
        handle.write("#")
    with pytest.raises(FileProblems) as refused:
        parse_yaml(path)
    assert refused.value.problems == [f"{path}: larger than 4 MB; a file this big is not read"]


# Random documents of anchors whose lists and mappings use the anchors before them.
@dataclass(frozen=True)
class Alias:
    """A use of an earlier anchor (its number, modulo how many there are)."""

    index: int


Tree = Any
trees = st.recursive(
    st.integers(0, 9) | st.builds(Alias, st.integers(0, 20)),
    lambda inner: (
        st.lists(inner, min_size=1, max_size=4)
        | st.dictionaries(st.sampled_from("pqrs"), inner, min_size=1, max_size=3)
    ),
    max_leaves=8,
)


def _render(tree: Tree, anchors: int) -> str:
    if isinstance(tree, Alias):
        return f"*a{tree.index % anchors}" if anchors else "0"
    if isinstance(tree, list):
        return "[" + ", ".join(_render(item, anchors) for item in tree) + "]"
    if isinstance(tree, dict):
        return "{" + ", ".join(f"{k}: {_render(v, anchors)}" for k, v in tree.items()) + "}"
    return str(tree)


def _measure(data: Any) -> tuple[int, int]:
    """(values, depth) of built data, walked copy by copy."""
    if isinstance(data, list):
        parts = [_measure(item) for item in data]
    elif isinstance(data, dict):
        parts = [(1, 0)] * len(data) + [_measure(value) for value in data.values()]
    else:
        return 1, 0
    return 1 + sum(p[0] for p in parts), 1 + max((p[1] for p in parts), default=0)


@settings(max_examples=examples(200), deadline=None)
@given(anchors=st.lists(trees, min_size=1, max_size=5), values=st.integers(10, 400))
def test_aliased_documents_are_read_exactly_when_within_the_limits(
    anchors: list[Tree], values: int
) -> None:
    text = "".join(f"k{n}: &a{n} [{_render(tree, n)}]\n" for n, tree in enumerate(anchors))
    limits = Limits(max_values=values, max_depth=5)
    expected = yaml.safe_load(text)
    size, depth = _measure(expected)  # small here: each anchor at most 8 copies of the one before
    loader = Loader(text, limits)
    try:
        data = loader.document()
    except TooLarge:
        assert size > limits.max_values or depth > limits.max_depth
    else:
        assert data == expected
        assert size <= limits.max_values and depth <= limits.max_depth
    finally:
        loader.dispose()
