# The MAD book: two commands do everything on a fresh machine.
#   make test   install, then ruff + unit tests + the nbval smoke run of every notebook (MAD_SCALE=smoke)
#   make book   install, then build the HTML book at book scale (re-executing only what changed), then print the claims scorecard
#   make check-pages   open every page of the built book in headless Chromium, offline, and check what a reader sees
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export PYTHONHASHSEED ?= 0

.PHONY: install test lint book claims seeds bench clean chromium check-pages

install: $(VENV)/.installed chromium

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

lint: install
	$(PY) -m ruff format --check mad tests benchmarks notebooks _ext
	$(PY) -m ruff check mad tests benchmarks notebooks _ext

# two pytest workers; a notebook's cells stay together on one worker (--dist loadfile)
TEST_WORKERS ?= 2

test: lint
	MAD_SCALE=smoke $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# A rebuild re-executes only the notebooks whose code cells changed (jupyter-book's execution cache,
# `execute_notebooks: cache` in _config.yml, kept in _build/.jupyter_cache). _build starts afresh when
# the mad package, the pinned requirements, appendix/*.csv, MAD_SCALE, MAD_SEED or MAD_ENFORCE_CLAIMS
# change (the stamp _build/.mad_stamp), so every number still comes from the current code; a fresh clone
# has no _build and computes everything. The runs themselves are also kept in .mad_store/ (mad/store.py).
book: install
	@stamp="$$($(PY) -c 'from mad.store import code_hash; print(code_hash())') $$(cat requirements.txt appendix/*.csv | sha256sum | cut -c1-16) $${MAD_SCALE:-book} $${MAD_SEED:-} $${MAD_ENFORCE_CLAIMS:-}"; \
	  if [ "$$(cat _build/.mad_stamp 2>/dev/null)" != "$$stamp" ]; then rm -rf _build; fi; \
	  mkdir -p _build && echo "$$stamp" > _build/.mad_stamp
	MAD_SCALE=$${MAD_SCALE:-book} $(VENV)/bin/jupyter-book build . -W --keep-going
	$(PY) -m mad claims _build

claims: install
	$(PY) -m mad claims _build

# Rebuild every chapter under other base seeds (book scale, claims shown but not enforced) and
# tabulate each seed's scorecard into appendix/seed_scorecards.csv, which the reproducibility appendix shows.
#   make seeds SEEDS="11 4242 987654"
seeds: install
	@test -n "$(SEEDS)" || { echo 'usage: make seeds SEEDS="11 4242 987654"'; exit 2; }
	for s in $(SEEDS); do \
	  rm -rf _seeds/$$s && mkdir -p _seeds/$$s && cp notebooks/*.ipynb _seeds/$$s/ && \
	  ( cd _seeds/$$s && MAD_SEED=$$s MAD_SCALE=$${MAD_SCALE:-book} MAD_ENFORCE_CLAIMS=0 \
	    ../../$(VENV)/bin/jupyter execute --inplace --timeout=3600 *.ipynb ) || exit 1; \
	done
	$(PY) -m mad seeds $(addprefix _seeds/,$(SEEDS)) --csv appendix/seed_scorecards.csv

bench: install
	$(PY) benchmarks/run.py

# Debian's chromium for `make check-pages` (Playwright drives it; its own browser download is not used).
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser)
chromium:
	@if [ -n "$(CHROMIUM)" ]; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then echo "note: no chromium and no apt-get; 'make check-pages' needs Chromium: install it and set CHROMIUM=/path/to/chromium"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: chromium is not installed and this user cannot run apt-get; 'make check-pages' needs it: sudo apt-get install chromium"; fi

check-pages: install
	$(PY) tests/browser/check_pages.py --html _build/html $(if $(CHROMIUM),--chromium $(CHROMIUM))

clean:
	rm -rf _build _seeds .pytest_cache .ruff_cache
