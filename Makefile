# homesim: `make run` simulates the reference home, `make test` runs every test suite.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOME_FILE ?= examples/home.yaml
OUT    ?= out/run

.PHONY: run test bench venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/homesim simulate $(HOME_FILE) --days 7 --step 60 --out $(OUT)

test: $(STAMP)
	$(PY) -m pytest -n 2 -q

bench: $(STAMP)
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) out .pytest_cache
