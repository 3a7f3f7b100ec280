# Two commands do all the set-up on a fresh machine:
#   make demo   build the bundled demo project and open the workbench on it
#   make test   run the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO := demo-project/stronger-together.wbproj

.PHONY: setup demo test system-deps bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/workbench demo $(DEMO)
	$(VENV)/bin/workbench suggest --project $(DEMO) --as demo --show 0
	$(VENV)/bin/workbench app --project $(DEMO)

# Chromium (browser tests), LibreOffice (report rendering), caddy and nginx (proxy test) and the other tools of
# scripts/install-system-deps.sh from Debian when we may install them;
# the tests that need them skip cleanly otherwise.
system-deps:
	bash scripts/install-system-deps.sh

test: setup system-deps
	$(PY) -m pytest -q -p no:cacheprovider

bench: setup
	$(PY) bench/cli_start.py
	$(PY) bench/ingest.py --quick
	$(PY) bench/suggest.py --quick
	$(PY) bench/suggest_project.py --sentences 20000
	$(PY) bench/reliability.py
	$(PY) bench/compare.py --quick
	$(PY) bench/code_page.py
	$(PY) bench/suggestions_page.py
	$(PY) bench/analysis_pages.py
	$(PY) bench/train.py --codings 500
