"""The house rules of ARCHITECTURE.md that a tool checks, and proof that each check can fail.

`make test` runs `lint-imports` (the layer contracts in pyproject.toml); the rules no import
tool can see are checked here: sizes, and SQL written only inside `natm_bot/storage`.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 40
# Upper-case SQL as our storage writes it; prose ("select a group") does not match.
SQL_RE = re.compile(
    r"\b(SELECT\b.*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
    r"|CREATE\s+(TABLE|INDEX|TRIGGER|VIRTUAL)|DROP\s+(TABLE|INDEX)|ALTER\s+TABLE|PRAGMA\s+\w+)\b",
    re.DOTALL,
)


def sources(*folders: Path) -> Iterator[Path]:
    """Every Python file under the folders."""
    for folder in folders:
        yield from sorted(folder.rglob("*.py"))


def oversized(*folders: Path) -> list[str]:
    """Modules over the line limit and functions over theirs."""
    found = []
    for path in sources(*folders):
        text = path.read_text()
        if (lines := len(text.splitlines())) > MAX_MODULE_LINES:
            found.append(f"{path.relative_to(folders[0].parent)}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    where = path.relative_to(folders[0].parent)
                    found.append(f"{where}:{node.lineno}: {node.name}() {length} lines")
    return found


def strings(tree: ast.AST) -> Iterator[ast.Constant]:
    """Every string literal, the literal parts of f-strings included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node


def sql_outside_storage(*folders: Path) -> list[str]:
    """String literals that are SQL, in any module outside a `storage` package."""
    found = []
    for path in sources(*folders):
        if "storage" in path.parts:
            continue
        for node in strings(ast.parse(path.read_text())):
            if SQL_RE.search(str(node.value)):
                found.append(f"{path.relative_to(folders[0].parent)}:{node.lineno}")
    return found


def test_no_module_over_400_lines_and_no_function_over_40() -> None:
    assert oversized(ROOT / "natm_bot", ROOT / "commands") == []


def test_sql_is_written_only_in_storage() -> None:
    assert sql_outside_storage(ROOT / "natm_bot", ROOT / "commands") == []


def test_the_rules_catch_sql_in_a_command_and_a_long_function(tmp_path: Path) -> None:
    commands = tmp_path / "commands"
    commands.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (commands / "sneaky.py").write_text(
        'async def count(ctx):\n    return await ctx.app.db.fetchone(f"SELECT COUNT(*) FROM '
        '{table} WHERE room = ?")\n\n\ndef long():\n' + body + "\n"
    )
    (tmp_path / "storage").mkdir()
    (tmp_path / "storage" / "ok.py").write_text('Q = "DELETE FROM signups WHERE id = ?"\n')
    assert sql_outside_storage(commands, tmp_path / "storage") == ["commands/sneaky.py:2"]
    assert oversized(commands) == [f"commands/sneaky.py:5: long() {MAX_FUNCTION_LINES + 1} lines"]
    assert sql_outside_storage(tmp_path / "storage") == []


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the copy of the code in `tree`, and on nothing else.

    `commands` is a namespace package, so any other `commands` folder on the path (the
    checkout, through the editable install's .pth) would join it: Python runs with `-S` (no
    .pth files) and finds the installed libraries through PYTHONPATH instead."""
    libraries = [p for p in sys.path if p.endswith("site-packages")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree), *libraries])}
    run = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-S", "-c", run, "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_the_code(tmp_path: Path) -> Path:
    """The packages and pyproject.toml, in a folder of their own to change freely."""
    tree = tmp_path / "tree"
    for name in ("natm_bot", "commands"):
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree)
    return tree


@pytest.mark.slow
def test_the_contracts_hold_and_break_on_nio_in_a_feature(tmp_path: Path) -> None:
    tree = copy_of_the_code(tmp_path)
    kept = lint_imports(tree)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    service = tree / "natm_bot" / "features" / "groups" / "service.py"
    service.write_text(service.read_text() + "\nimport nio  # noqa\n")
    broken = lint_imports(tree)
    assert broken.returncode != 0
    assert "nio is imported only inside the Matrix adapter BROKEN" in broken.stdout
    assert "natm_bot.features.groups.service -> nio" in broken.stdout


@pytest.mark.slow
def test_the_contracts_break_on_a_command_reaching_storage(tmp_path: Path) -> None:
    tree = copy_of_the_code(tmp_path)
    command = tree / "commands" / "readings.py"
    command.write_text(command.read_text() + "\nfrom natm_bot.storage import Database  # noqa\n")
    broken = lint_imports(tree)
    assert broken.returncode != 0
    assert "Commands reach data through the features" in broken.stdout
    assert "commands.readings -> natm_bot.storage" in broken.stdout


# ----- the fast tests time nothing --------------------------------------------------------------

# The clocks one measures a duration with; `time.time()` (a timestamp) is not among them.
STOPWATCHES = {"perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "process_time"}


def stopwatches(*folders: Path) -> list[str]:
    """Where a test reads a stopwatch (`time.perf_counter()`, `from time import monotonic`):
    how long something took is a figure for bench/, never a pass or a fail."""
    found = []
    for path in sources(*folders):
        if "integration" in path.parts:  # the homeserver tests wait for things by the clock
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "time":
                names = {alias.name for alias in node.names}
            elif isinstance(node, ast.Attribute):
                names = {node.attr}
            else:
                continue
            if names & STOPWATCHES:
                found.append(f"{path.relative_to(folders[0].parent)}:{node.lineno}")
    return found


def test_the_fast_tests_assert_no_timings() -> None:
    assert stopwatches(ROOT / "tests") == []


def test_the_timing_rule_catches_a_stopwatch(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    (tests / "integration").mkdir(parents=True)
    (tests / "test_quick.py").write_text(
        "import time\nfrom time import monotonic\n\n\ndef test_quick():\n"
        "    began = time.perf_counter()\n    assert time.time() - began < 0.5\n"
    )
    (tests / "integration" / "test_live.py").write_text("import time\nSTART = time.monotonic()\n")
    assert stopwatches(tests) == ["tests/test_quick.py:2", "tests/test_quick.py:6"]


# ----- what a command may import ----------------------------------------------------------------

# ARCHITECTURE.md: a command imports natm_bot.api, the features, the pure layers below them,
# the standard library and babel (dates and lists in the reader's language).
COMMAND_IMPORTS = {"natm_bot.api", "natm_bot.core", "natm_bot.calendar", "natm_bot.config"}
COMMAND_IMPORTS |= {"natm_bot.features", "babel", "__future__"}


def command_imports(folder: Path) -> list[str]:
    """Imports of the command modules in `folder` outside what a command may import."""
    found = []
    for path in sources(folder):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                allowed = top in sys.stdlib_module_names or any(
                    module == a or module.startswith(a + ".") for a in COMMAND_IMPORTS
                )
                if not allowed:
                    found.append(f"{path.name}:{node.lineno}: {module}")
    return found


def test_commands_import_only_the_api_the_features_and_the_layers_below() -> None:
    assert command_imports(ROOT / "commands") == []


def test_the_command_rule_catches_the_engine_the_app_and_a_library(tmp_path: Path) -> None:
    (tmp_path / "sneaky.py").write_text(
        "import re\nimport yaml\nfrom babel.dates import format_date\n"
        "from natm_bot.api import command\nfrom natm_bot.features.groups.views import bold_name\n"
        "from natm_bot.engine.fields import parse_fields\nfrom natm_bot.app import App\n"
        "from natm_bot.context import Context\n"
    )
    assert command_imports(tmp_path) == [
        "sneaky.py:2: yaml",
        "sneaky.py:6: natm_bot.engine.fields",
        "sneaky.py:7: natm_bot.app",
        "sneaky.py:8: natm_bot.context",
    ]


# ----- ARCHITECTURE.md against the tree and the contracts ---------------------------------------

PATH_RE = re.compile(r"`([\w./]+(?:\.py|/))`")


def table_rows(architecture: str) -> list[list[str]]:
    """The cells of each row of the table under "The packages, top to bottom"."""
    section = architecture.split("## The packages, top to bottom", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def named_paths(rows: list[list[str]]) -> set[str]:
    """Every path the table names: each row's packages, and the modules and folders its
    last cell names (relative to the row's one package or module's folder, or from
    `natm_bot/` on)."""
    named: set[str] = set()
    for _layer, packages, holds in rows:
        subjects = PATH_RE.findall(packages)
        named.update(subjects)
        for name in PATH_RE.findall(holds):
            if name.startswith("natm_bot/") or len(subjects) != 1:
                named.add(name)
            else:  # beside a module, in a package
                named.add(subjects[0][: subjects[0].rindex("/") + 1] + name)
    return named


def tree_paths(root: Path) -> set[str]:
    """Every package (as `path/`) and module of natm_bot, but the packages' `__init__.py`."""
    found = set()
    for path in (root / "natm_bot").rglob("*.py"):
        relative = path.relative_to(root).as_posix()
        if "__pycache__" in path.parts:
            continue
        found.add(relative[: -len("__init__.py")] if path.name == "__init__.py" else relative)
    return found - {"natm_bot/"}


def table_layers(rows: list[list[str]]) -> list[set[str]]:
    """The table's layers: the top-level packages of the rows from one named layer to the
    next (`natm_bot/features/groups/` is in `natm_bot.features`)."""
    layers: list[set[str]] = []
    for layer, packages, _holds in rows:
        if layer or not layers:
            layers.append(set())
        for path in PATH_RE.findall(packages):
            parts = path.removesuffix("/").removesuffix(".py").split("/")
            layers[-1].add(".".join(parts[:2]))
    return layers


def contract_layers(pyproject: str) -> list[set[str]]:
    """The layers of the layers contract in pyproject.toml, each a set of packages."""
    contracts = tomllib.loads(pyproject)["tool"]["importlinter"]["contracts"]
    [layered] = [c for c in contracts if c["type"] == "layers"]
    return [{p.strip() for p in re.split(r"[|:]", layer)} for layer in layered["layers"]]


def test_the_architecture_table_names_every_package_and_module_and_no_other() -> None:
    named = named_paths(table_rows((ROOT / "ARCHITECTURE.md").read_text()))
    assert sorted(tree_paths(ROOT) - named) == [], "in the tree, not in ARCHITECTURE.md"
    assert sorted(p for p in named if not (ROOT / p).exists()) == [], "named but not there"


def test_the_architecture_layers_are_the_contracts_in_order() -> None:
    rows = table_rows((ROOT / "ARCHITECTURE.md").read_text())
    assert table_layers(rows) == contract_layers((ROOT / "pyproject.toml").read_text())


def test_the_architecture_checks_catch_a_missing_module_and_a_layer_out_of_order(
    tmp_path: Path,
) -> None:
    architecture = (ROOT / "ARCHITECTURE.md").read_text()
    rows = table_rows(architecture.replace("`diagnose.py`", "diagnose"))
    assert tree_paths(ROOT) - named_paths(rows) == {"natm_bot/matrix/diagnose.py"}
    layers = table_layers(table_rows(architecture))
    swapped = [*layers[:2], layers[3], layers[2], *layers[4:]]
    assert swapped != contract_layers((ROOT / "pyproject.toml").read_text())
    pyproject = (ROOT / "pyproject.toml").read_text().replace('"natm_bot.context",\n', "")
    assert table_layers(rows) != contract_layers(pyproject)


def converters(root: Path) -> list[str]:
    """Classes of natm_bot with a `convert` method, outside a feature's `arguments.py`."""
    found = []
    for path in sources(root / "natm_bot"):
        if path.name == "arguments.py" and path.parent.parent.name == "features":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == "convert"
                for item in node.body
            ):
                found.append(f"{path.relative_to(root).as_posix()}: {node.name}")
    return found


def test_converters_live_with_their_commands_or_in_a_features_arguments(tmp_path: Path) -> None:
    assert converters(ROOT) == []
    service = tmp_path / "natm_bot" / "features" / "meetings" / "service.py"
    service.parent.mkdir(parents=True)
    service.write_text(
        "class MeetingLookup:\n    async def convert(self, ctx, text):\n        pass\n"
    )
    shared = tmp_path / "natm_bot" / "features" / "groups" / "arguments.py"
    shared.parent.mkdir(parents=True)
    shared.write_text(
        "class GroupLookup:\n    async def convert(self, ctx, text):\n        pass\n"
    )
    assert converters(tmp_path) == ["natm_bot/features/meetings/service.py: MeetingLookup"]


def bots_per_example(*folders: Path) -> list[str]:
    """Property tests that build a bot (`ChatHarness(…)`, `App(…)`) in each example instead
    of taking the `bot` fixture once and calling `await bot.reset()`."""
    found = []
    for path in sources(*folders):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            decorators = [d.func for d in node.decorator_list if isinstance(d, ast.Call)]
            if not any(isinstance(d, ast.Name) and d.id == "given" for d in decorators):
                continue
            built = {
                call.func.id
                for call in ast.walk(node)
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            }
            if built & {"ChatHarness", "App"}:
                found.append(f"{path.relative_to(folders[0].parent)}: {node.name}")
    return found


def test_property_tests_build_their_bot_once(tmp_path: Path) -> None:
    assert bots_per_example(ROOT / "tests") == []
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_costly.py").write_text(
        "@given(st.text())\nasync def test_costly(tmp_path, text):\n"
        "    async with ChatHarness(make_config(tmp_path)) as bot:\n        await bot.send(text)\n"
        "\n\n@given(st.text())\nasync def test_cheap(bot, text):\n    await bot.reset()\n"
    )
    assert bots_per_example(tmp_path / "tests") == ["tests/test_costly.py: test_costly"]
