# Chorus: `make run` serves the demo, `make test` runs every check. Both set up what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

BUNDLE := src/chorus/escrow/static/escrow/escrow.js
LEDGER_BUNDLE := src/chorus/ledger/static/ledger/ledger.js

.PHONY: run test setup setup-dev lint typecheck docs fuzz test-sqlite test-postgres bench clean

$(BIN)/python:
	@$(PYTHON) -c "import sys; assert sys.version_info[:2] == (3, 11)" 2>/dev/null || { echo "make: Python 3.11 is needed (Debian: apt-get install python3.11 python3.11-venv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"

# The browser's escrow module: npm packages from the lockfile, bundled into Chorus's own
# static files (no CDN at run time).
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || bash scripts/system-packages.sh node
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(BUNDLE) $(LEDGER_BUNDLE) &: node_modules/.package-lock.json $(wildcard js/*.js)
	npm run -s build

$(VENV)/.installed-run: $(BIN)/python pyproject.toml constraints.txt $(BUNDLE) $(LEDGER_BUNDLE)
	bash scripts/system-packages.sh run
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

# Translations: the catalogs in src/chorus/locale compiled for gettext (Debian's msgfmt).
CATALOGS := $(patsubst %.po,%.mo,$(wildcard src/chorus/locale/*/LC_MESSAGES/django.po))
$(CATALOGS): %.mo: %.po $(VENV)/.installed-run
	cd src/chorus && ../../$(BIN)/chorus compilemessages -v0

$(VENV)/.installed-dev: $(VENV)/.installed-run $(CATALOGS)
	bash scripts/system-packages.sh test
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

setup: $(VENV)/.installed-run $(CATALOGS)
setup-dev: $(VENV)/.installed-dev

# Emailed links point where this server listens, unless CHORUS_BASE_URL says otherwise.
run: export CHORUS_BASE_URL ?= http://$(HOST):$(PORT)
run: setup
	$(BIN)/chorus migrate --no-input -v0
	$(BIN)/chorus demo
	$(BIN)/chorus ledger checkpoint
	@echo "Chorus is at http://$(HOST):$(PORT)/  (Ctrl-C stops it and its task worker)"
	$(BIN)/chorus worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/chorus runserver --noreload $(HOST):$(PORT)

lint: setup-dev
	$(BIN)/ruff check src tests bench fuzz

# docs/settings.md, generated from the declared settings (a test checks it is current).
docs: setup
	$(BIN)/python scripts/settings_table.py

typecheck: setup-dev
	$(BIN)/mypy

# Coverage-guided fuzzing (atheris) of what reads untrusted text and files, bounded in time.
# A crash fails the run; the input that caused it is kept as fuzz-crash-*. Then the server's
# and the browser's identifier normalization over many more generated inputs than the test
# suite draws, from a fresh seed each run (a disagreement is printed with its input).
FUZZ_SECONDS ?= 45
DIFFERENTIAL_EXAMPLES ?= 2000
fuzz: setup-dev
	@for target in identifiers attachments; do \
	  echo "=== fuzzing $$target for $(FUZZ_SECONDS) s ==="; \
	  $(BIN)/python -m fuzz $$target -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 \
	    -artifact_prefix=fuzz-crash-$$target- >.fuzz-$$target.log 2>&1 \
	    || { tail -n 60 .fuzz-$$target.log; exit 1; }; \
	  grep -E "^Done [0-9]+ runs" .fuzz-$$target.log; \
	done
	@echo "=== server and browser normalization, $(DIFFERENTIAL_EXAMPLES) inputs of each kind ==="
	CHORUS_DIFFERENTIAL_EXAMPLES=$(DIFFERENTIAL_EXAMPLES) env -u DATABASE_URL $(BIN)/pytest -q -p no:cacheprovider \
	  tests/escrow/test_identifiers_differential.py

test-sqlite: setup-dev
	@echo "=== pytest on SQLite ==="
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: setup-dev
	@echo "=== pytest on PostgreSQL (throwaway cluster) ==="
	bash scripts/with-postgres.sh $(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck fuzz test-sqlite test-postgres

bench: setup-dev
	env -u DATABASE_URL $(BIN)/python -m bench sign-in records escrow browser-escrow insights team-key merkle
	bash scripts/with-postgres.sh $(BIN)/python -m bench ledger escrow insights requests
	bash scripts/with-postgres.sh $(BIN)/python -m bench load

# Every page each demo persona reaches, as PNGs at 1280 and 390 px in screenshots/<persona>/,
# from a throwaway demo deployment; prints any page that scrolls sideways (docs/screenshots.md).
screenshots: setup-dev
	$(BIN)/python scripts/screenshots.py $(SCREENSHOTS_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache node_modules $(BUNDLE) $(BUNDLE).LEGAL.txt $(LEDGER_BUNDLE) $(LEDGER_BUNDLE).LEGAL.txt
