# The few commands a contributor needs. `make book` and `make test` are the README's quick start.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
export CNN_EXPLAINER_DATA ?= $(abspath ../shared/data/tiny-imagenet-10.zip)

.PHONY: install book serve test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[book,test,dev]"

book: install
	$(BIN)/jupyter-book build . --all --warningiserror
	@echo "The book is in _build/html/index.html"

serve:
	$(BIN)/python -m explainer_core.serve _build/html

test: install
	$(BIN)/pytest

lint:
	$(BIN)/ruff check explainer_core tests benchmarks

bench: book
	$(BIN)/python benchmarks/bench_model.py
	$(BIN)/python benchmarks/bench_trace.py
	$(BIN)/python benchmarks/bench_book.py
	$(BIN)/python benchmarks/bench_browser_trace.py
	$(BIN)/python benchmarks/bench_page_update.py --html _build/html

clean:
	rm -rf _build test-artifacts
