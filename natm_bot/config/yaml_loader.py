"""The one YAML loader of every file the bot reads (bot.yaml, data/*.yaml, members files):
PyYAML's safe loader, bounded in size, nesting and values after aliases, and noting keys
given twice.

Aliases let a file of a few hundred bytes stand for billions of values ("billion laughs":
nine anchors of nine aliases each); building the data is cheap, since aliases share one
object, but everything that walks the data afterwards (checks, validation) would walk every
copy for hours. So the composed node graph is measured, aliases counted as copies of what
they point to, before anything is built from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Where a problem is: keys and list indices from the top of the file.
Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]

_MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Limits:
    """How large a YAML file may be, and how much it may stand for once aliases are expanded.
    The largest real file (a members directory of a few thousand organisations) is a small
    fraction of each."""

    max_bytes: int = 4 * 1024 * 1024
    max_values: int = 250_000  # every mapping, list and scalar, each alias as a full copy
    max_depth: int = 64  # lists and mappings inside each other, through aliases too


LIMITS = Limits()


class TooLarge(yaml.YAMLError):
    """The file, or what its aliases expand to, is beyond the limits; the message says which."""


def read_bounded(path: Path, limits: Limits = LIMITS) -> str:
    """The UTF-8 text of `path`, refused (TooLarge) past `limits.max_bytes` without reading
    further; OSError and UnicodeDecodeError as reading raises them."""
    with path.open("rb") as handle:
        data = handle.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise TooLarge(f"larger than {_size(limits.max_bytes)}; a file this big is not read")
    return data.decode("utf-8")


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MB" if count >= 1024 * 1024 else f"{count:,} bytes"


class Loader(yaml.SafeLoader):
    """PyYAML's safe loader, bounded by `limits`, which notes every mapping key given twice
    (where safe_load keeps the last one silently), with its path and both lines."""

    def __init__(self, text: str, limits: Limits = LIMITS) -> None:
        super().__init__(text)
        self.limits = limits
        self.repeated: list[Problem] = []
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, refusing nesting past the limit before Python's own stack is."""
        self._depth += 1
        try:
            if self._depth > self.limits.max_depth + 1:  # a scalar inside the deepest list
                raise TooLarge(_too_deep(self.limits))
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def document(self) -> Any:
        """The file's single document (None when empty), measured, every repeated key noted."""
        node = self.get_single_node()
        if node is None:
            return None
        _Measure(self.limits).node(node, 1)
        self._walk(node, (), set())
        return self.construct_document(node)

    def _walk(self, node: yaml.Node, loc: Loc, done: set[int]) -> None:
        if id(node) in done:  # an alias of a node already walked (and no endless loops)
            return
        done.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, (*loc, index), done)
        elif isinstance(node, yaml.MappingNode):
            self._walk_mapping(node, loc, done)

    def _walk_mapping(self, node: yaml.MappingNode, loc: Loc, done: set[int]) -> None:
        first: dict[Any, int] = {}
        for key_node, value_node in node.value:
            # `<<:` merges defaults that the keys beside it may override; a list or mapping
            # as a key is refused when the data is built.
            if key_node.tag == _MERGE or not isinstance(key_node, yaml.ScalarNode):
                continue
            # The built key, so that `1` and `1.0` are one key, as they are in the data.
            key = self.construct_object(key_node)
            at = key_node.start_mark.line + 1
            if key in first:
                message = f"given twice, on lines {first[key]} and {at}: keep one"
                self.repeated.append(((*loc, str(key)), message))
            first.setdefault(key, at)
            self._walk(value_node, (*loc, str(key)), done)


def _too_deep(limits: Limits) -> str:
    return f"lists and mappings are nested more than {limits.max_depth} deep; refusing it"


class _Measure:
    """Values and depth of a composed node graph with every alias expanded, computed once per
    node (so a billion laughs costs as little as its text), stopping at the first limit."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.known: dict[int, tuple[int, int]] = {}  # id(node) → (values, height)
        self.open: set[int] = set()  # nodes being measured: one met again is a cycle

    def node(self, node: yaml.Node, depth: int) -> tuple[int, int]:
        """(values, height) of `node`, found at `depth`; TooLarge past a limit."""
        if depth > self.limits.max_depth + 1:  # a scalar may sit inside the deepest list
            raise TooLarge(_too_deep(self.limits))
        found = self.known.get(id(node))
        if found is None:
            if id(node) in self.open:
                raise TooLarge("an alias refers to the list or mapping it is inside; refusing it")
            self.open.add(id(node))
            found = self._children(node, depth)
            self.open.discard(id(node))
            self.known[id(node)] = found
        values, height = found
        if depth - 1 + height > self.limits.max_depth:
            raise TooLarge(_too_deep(self.limits))
        if values > self.limits.max_values:
            raise TooLarge(
                f"its aliases expand it to more than {self.limits.max_values:,} values; "
                "refusing it"
            )
        return found

    def _children(self, node: yaml.Node, depth: int) -> tuple[int, int]:
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            return 1, 0
        values, height = 1, 0
        for child in children:
            child_values, child_height = self.node(child, depth + 1)
            values += child_values
            height = max(height, child_height)
            if values > self.limits.max_values:
                break  # the check in node() refuses it
        return values, height + 1
