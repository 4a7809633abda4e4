# Two commands do all setup on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test
PYTEST := $(PY) -m pytest -q -p no:cacheprovider

.PHONY: demo test test-fast test-floors lint app bench wheel clean system-deps git-filters catalogues

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e . 'nbstripout>=0.8'
	$(MAKE) --no-print-directory git-filters
	touch $@

## git-filters: strip notebook outputs as they are staged (.gitattributes names the filter; this defines it)
git-filters:
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean '$(CURDIR)/$(VENV)/bin/nbstripout --keep-id' && \
	  git config filter.nbstripout.smudge cat && \
	  git config filter.nbstripout.required true && \
	  git config diff.ipynb.textconv '$(CURDIR)/$(VENV)/bin/nbstripout --keep-id -t'; \
	fi

$(TESTSTAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install -q -e '.[test]'
	touch $@

## demo: create .venv, install, run the main job on the embedded (synthetic) defaults
demo: $(STAMP)
	$(VENV)/bin/icf demo

## system-deps: Debian packages the tests need (Chromium for the browser tests, poppler-utils for pdftoppm,
## postgresql for the store's tests on a throwaway cluster)
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null || \
	    ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium poppler-utils fonts-dejavu-core \
	    postgresql >/dev/null; \
	fi

## test: install test needs (Python and Debian packages) and run every test: unit, real kernels, the built
## wheel in a fresh virtualenv, Voila in Chromium
test: $(TESTSTAMP) system-deps
	$(VENV)/bin/ruff check icframework tests benchmarks
	$(PYTEST)

## test-fast: the quick loop: no browser, no real kernels, no wheel build, no PostgreSQL
test-fast: $(TESTSTAMP)
	$(VENV)/bin/ruff check icframework tests benchmarks
	$(PYTEST) -m "not browser and not slow"

## test-floors: the fast tests with the oldest releases pyproject.toml allows (uv's lowest-direct resolution, in
## .venv-floors); constraints/floors.txt records the set that last passed
test-floors:
	test -x .venv-floors/bin/python || $(PYTHON) -m venv .venv-floors
	.venv-floors/bin/pip install -q uv
	.venv-floors/bin/uv pip install -q --python .venv-floors/bin/python --resolution lowest-direct -e '.[test]'
	.venv-floors/bin/python -m pytest -q -p no:cacheprovider -m "not browser and not slow"

## wheel: build the wheel and the sdist into dist/
wheel: $(TESTSTAMP)
	$(PY) -m build -q -o dist .

## app: serve the self-assessment form with Voila
app: $(STAMP)
	$(VENV)/bin/icf app

## bench: print the benchmark figures
bench: $(TESTSTAMP) system-deps
	@for b in benchmarks/[!_]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

## catalogues: extract the words marked in the code and templates into icframework/locale/icframework.pot and
## update every language's catalogue from it (translations kept; new entries empty)
catalogues: $(STAMP)
	$(PY) -m icframework.i18n

lint: $(TESTSTAMP)
	$(VENV)/bin/ruff check icframework tests benchmarks

clean:
	rm -rf build dist .pytest_cache
