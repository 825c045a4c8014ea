# The MAD book: two commands do everything on a fresh machine.
#   make test   install, then ruff + unit tests + the nbval smoke run of every notebook (MAD_SCALE=smoke)
#   make book   install, then build the HTML book at book scale from a fresh _build, then print the claims scorecard
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export PYTHONHASHSEED ?= 0

.PHONY: install test lint book claims seeds bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

lint: install
	$(PY) -m ruff format --check mad tests benchmarks notebooks
	$(PY) -m ruff check mad tests benchmarks notebooks

test: lint
	MAD_SCALE=smoke $(PY) -m pytest -q

book: install
	rm -rf _build
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

clean:
	rm -rf _build _seeds .pytest_cache .ruff_cache
