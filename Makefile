# callfloor: `make run` serves the demo center, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
PIP_TOOLS := pip-tools==7.7.0
export FLASK_APP := wsgi
export CALLFLOOR_INSTANCE ?= $(CURDIR)/instance

.PHONY: run test bench compare mutate lint lock translations extract-messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV): install python3-venv (apt-get install python3-venv)"; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip

# Every dependency, direct and indirect, at the exact version and hash in requirements.lock (the
# app and its dev extra, Python 3.11 on Linux), then the project itself with nothing more.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Resolves requirements.lock again from pyproject.toml's ranges, keeping every pin that still
# fits them; `make lock LOCK_ARGS=--upgrade` moves everything to the newest versions they allow.
# pip-tools runs in a throwaway venv, so it never enters the locked one.
lock:
	@tools=$$(mktemp -d) && trap 'rm -rf "$$tools"' EXIT && \
	$(PYTHON) -m venv "$$tools" && "$$tools/bin/pip" install --quiet '$(PIP_TOOLS)' && \
	CUSTOM_COMPILE_COMMAND="make lock" "$$tools/bin/pip-compile" --quiet --generate-hashes \
		--allow-unsafe --build-deps-for editable --extra dev --strip-extras \
		--no-emit-index-url --no-emit-find-links $(LOCK_ARGS) -o requirements.lock pyproject.toml
	@echo "requirements.lock refreshed: commit it with pyproject.toml"

# A catalog is compiled when its .po changed, so runs side by side (CI's two suites) never
# rewrite a .mo another is reading.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard app/translations/*/LC_MESSAGES/messages.po))
translations: $(CATALOGS)

app/translations/%/LC_MESSAGES/messages.mo: app/translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d app/translations -l $*

$(CALLFLOOR_INSTANCE)/secret_key:
	mkdir -p $(CALLFLOOR_INSTANCE)
	$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@
	chmod 600 $@

run: $(VENV)/.installed translations $(CALLFLOOR_INSTANCE)/secret_key
	SECRET_KEY=$$(cat $(CALLFLOOR_INSTANCE)/secret_key) $(BIN)/flask db upgrade
	SECRET_KEY=$$(cat $(CALLFLOOR_INSTANCE)/secret_key) $(BIN)/flask demo --if-empty
	@echo "callfloor: http://127.0.0.1:$(PORT)  (demo accounts: see README.md)"
	SECRET_KEY=$$(cat $(CALLFLOOR_INSTANCE)/secret_key) $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.installed translations
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed translations
	$(BIN)/python bench/run.py
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/imports.py
	$(BIN)/python bench/sign_in.py
	$(BIN)/python bench/hostile.py

# Two versions side by side, page by page (bench/compare.py): BEFORE and AFTER are source
# trees, such as a `git worktree` of an older commit (compile its catalogs first).
compare: $(VENV)/.installed translations
	$(BIN)/python bench/compare.py $(BEFORE) $(AFTER)

# Mutation testing of the rule modules ([tool.mutmut] in pyproject.toml lists them): each
# mutant runs only the tests that reach its function. A measurement, like bench; not in CI.
# `make mutate MUTANTS='app.staff.leave.*'` reruns some; the report reads what is there.
mutate: $(VENV)/.installed translations
	@if [ -z "$(MUTANTS)" ]; then rm -rf mutants; fi
	$(BIN)/mutmut run --max-children $$(nproc) $(MUTANTS) > mutants.log 2>&1 || { tail -n 40 mutants.log; exit 1; }
	@tail -c 300 mutants.log | tr '\r' '\n' | tail -n 2
	$(BIN)/python scripts/mutation_report.py

lint: $(VENV)/.installed
	$(BIN)/ruff check .

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot --no-location --no-wrap --sort-output --omit-header app templates templates/_macros
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --no-wrap

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache mutants mutants.log
