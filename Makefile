# The two commands: `make run` and `make test`. Everything else is a step they use.
PYTHON ?= python3
# The suite runs on every core (pytest-xdist), one test file per worker at a time. It keeps
# its compiled modules (__pycache__, ignored by git) even where PYTHONDONTWRITEBYTECODE is
# set: otherwise every worker compiles the package and rewrites every test's asserts again
# at each run (collection 4.7 s instead of 2.3 s).
TEST_WORKERS ?= auto
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
STAMP  := $(VENV)/.installed

.PHONY: run test lint format catalogues extract-messages update-catalogues demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,prod]'
	touch $(STAMP)

# Compiled catalogues are build output (.mo files are ignored by git).
catalogues: $(STAMP)
	@$(BIN)/pybabel compile -d forum/translations 2>/dev/null || $(BIN)/pybabel compile -d forum/translations

run: catalogues
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) run --host 127.0.0.1 --port 5000

test: catalogues
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

extract-messages: $(STAMP)
	$(BIN)/pybabel extract --ignore-dirs='.* __pycache__' -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -o forum/translations/messages.pot forum templates

update-catalogues: extract-messages
	$(BIN)/pybabel update -i forum/translations/messages.pot -d forum/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
