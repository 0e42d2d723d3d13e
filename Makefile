# Two commands: `make run` (set up and start the app on the demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DEMO := data/demo/demo-animateurs.csv
VENDOR := static/vendor/.installed

.PHONY: run test fuzz bench demo clean

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(INSTALLED)

# Map assets from the npm registry at the versions of assets/package-lock.json, served by the app.
$(VENDOR): assets/package.json assets/package-lock.json
	@command -v npm >/dev/null || { echo "npm absent : la carte s'affichera sans ses fichiers Leaflet (installez Node.js)."; exit 0; }
	npm ci --prefix assets --no-audit --no-fund --ignore-scripts --silent
	rm -rf static/vendor && mkdir -p static/vendor
	cp -r assets/node_modules/leaflet/dist static/vendor/leaflet
	cp -r assets/node_modules/leaflet.markercluster/dist static/vendor/leaflet.markercluster
	touch $(VENDOR)

# views/serve.py fills the caches (reference geography, commune search, store reads, public map) before the
# server answers, then starts `streamlit run app.py` in the same process: slower to start, no visitor waits.
run: $(INSTALLED) $(VENDOR)
	$(BIN)/python -m carte import $(DEMO) --demo
	$(BIN)/python -m views.serve

test: $(INSTALLED) $(VENDOR)
	$(BIN)/python -m pytest

# The loader's fuzzing with a long budget (2,500 examples per property instead of 50): see tests/test_fuzz_loader.py.
fuzz: $(INSTALLED)
	CARTE_FUZZ_PROFILE=long $(BIN)/python -m pytest tests/test_fuzz_loader.py

# `make bench BASELINE=7051fbf^` runs each bench script on that commit (a temporary git worktree) and on the
# working tree, alternately, BENCH_RUNS times each, and prints their figures side by side (bench/compare.py).
# BENCH selects the scripts, BENCH_ARGS their arguments, BENCH_COMPARE options of bench/compare.py
# (--same-script: the working tree's script on both sides):
# `make bench BASELINE=7051fbf^ BENCH=bench/run.py BENCH_ARGS=--chargeur BENCH_COMPARE=--same-script`.
BENCH ?= bench/run.py bench/bench_app.py bench/bench_publish.py bench/bench_geometry.py bench/bench_store.py
BENCH_ARGS ?=
BASELINE ?=
BENCH_RUNS ?= 2
BENCH_COMPARE ?=
bench: $(INSTALLED) $(VENDOR)
ifeq ($(strip $(BASELINE)),)
	set -e; for script in $(BENCH); do $(BIN)/python $$script $(BENCH_ARGS); done
else
	set -e; for script in $(BENCH); do \
		$(BIN)/python bench/compare.py --baseline '$(BASELINE)' --runs $(BENCH_RUNS) $(BENCH_COMPARE) \
		$$script $(BENCH_ARGS); done
endif

demo: $(INSTALLED)
	$(BIN)/python scripts/make_demo_export.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis static assets/node_modules
