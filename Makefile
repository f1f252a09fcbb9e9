# The few commands a contributor needs. `make book` and `make test` are the README's quick start.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
# The team's copy of the data set, when it sits beside the clone; without it the book and the
# tests still run (the book on scikit-image's photos, the data tests on a generated stand-in).
SHARED_DATA := $(abspath ../shared/data/tiny-imagenet-10.zip)
ifneq ($(wildcard $(SHARED_DATA)),)
export CNN_EXPLAINER_DATA ?= $(SHARED_DATA)
endif

.PHONY: install binder-pins book serve chromium test test-no-browser lint bench clean zoo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# binder/requirements.txt pins every package a notebook runs with, at exact versions: installing it
# here as well means the book is built and tested with the very versions Binder installs.
install: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[book,test,dev,classroom]" -r binder/requirements.txt

# Rewrite binder/requirements.txt from the versions in .venv: after `.venv/bin/pip install -U some-package`
# or a new dependency in pyproject.toml (tests/test_binder_env.py fails until the two agree).
binder-pins:
	$(BIN)/python binder/pin_requirements.py

book: install
	$(BIN)/jupyter-book build . --all --warningiserror
	@echo "The book is in _build/html/index.html"

serve:
	$(BIN)/python -m explainer_core.page.serve _build/html

# The browser tests need Debian's chromium (never a downloaded browser): installed here when
# we are root on Debian, else one line says how. `make test-no-browser` leaves them out on purpose.
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test needs Debian's chromium: run 'sudo apt-get install chromium' (or 'make test-no-browser')" >&2; \
	    exit 1; \
	  fi; }

test: install chromium
	$(BIN)/pytest

test-no-browser: install
	$(BIN)/pytest -m "not browser"

# Train every zoo member that is missing (about 2 hours on 2 cores; ZOO="resnet_mini vgg_mini" for some,
# ZOO_FLAGS=--overwrite to retrain what exists). Progress and each epoch are printed.
zoo: install
	$(BIN)/python -m explainer_core.models.train_zoo $(ZOO) $(ZOO_FLAGS)

lint:
	$(BIN)/ruff check explainer_core tests benchmarks

bench: book
	$(BIN)/python benchmarks/bench_model.py
	$(BIN)/python benchmarks/bench_trace.py
	$(BIN)/python benchmarks/bench_book.py
	$(BIN)/python benchmarks/bench_browser_trace.py
	$(BIN)/python benchmarks/bench_page_update.py --html _build/html
	$(BIN)/python benchmarks/bench_explain.py
	$(BIN)/python benchmarks/bench_compare_switch.py --html _build/html

clean:
	rm -rf _build test-artifacts
