# Two commands: `make run` (the bot's console on the example config) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test fast setup catalogues
run: $(STAMP)
	$(BIN)/natm-bot console -c bot.example.yaml

# The whole suite on two workers: most live tests wait on the homeserver and the bot rather
# than on a core, so two at once halve the time (each worker starts its own Synapse). The
# live tests go first and an idle worker takes over waiting tests from the other
# (worksteal), so the run does not end with one long test on one worker.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 --dist worksteal

# The fast tests only (no homeserver, no processes), on every core: under a minute, trying a
# quarter of each property test's examples (`make test` tries them all; tests/conftest.py). Their
# temporary files (a database per test) go to memory when /dev/shm is there: on a disk, the
# database's fsyncs take longer than the tests themselves.
FAST_TMP := $(shell test -w /dev/shm && echo /dev/shm || echo "$${TMPDIR:-/tmp}")
fast: $(STAMP)
	NATM_BOT_EXAMPLES=0.25 TMPDIR=$(FAST_TMP) $(BIN)/pytest -m "not slow" -n auto --dist worksteal -q

# The message catalogues: extract the texts from the code into the template, then bring
# every language's catalogue in step (new texts arrive empty, changed ones marked fuzzy).
LOCALES := natm_bot/locale
catalogues: $(STAMP)
	PYTHONPATH=. $(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 \
		--no-default-keywords --sort-by-file --project natm-bot -o $(LOCALES)/natm_bot.pot .
	$(BIN)/pybabel update -i $(LOCALES)/natm_bot.pot -d $(LOCALES) -D natm_bot \
		--ignore-obsolete --no-wrap

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "natm-bot needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)
