# Two commands: `make run` (set up and start the app on the demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DEMO := data/demo/demo-animateurs.csv

.PHONY: run test bench demo clean

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/python -m loaders $(DEMO) --demo
	$(BIN)/streamlit run app.py

test: $(INSTALLED)
	$(BIN)/python -m pytest

bench: $(INSTALLED)
	$(BIN)/python bench/run.py

demo: $(INSTALLED)
	$(BIN)/python scripts/make_demo_export.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
