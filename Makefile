# fleetwire development tasks. Every target does its own set-up from a fresh clone.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BROKER := deploy/kafka/broker.sh

.PHONY: help venv kafka kafka-stop run test lint bench profile topics clean

help:
	@echo "make run         start kafka, topics, ingress and processors (Ctrl-C stops all)"
	@echo "make test        the whole test suite against a real local broker"
	@echo "make lint        ruff and mypy (strict)"
	@echo "make kafka       start the local broker (idempotent); make kafka-stop stops it"
	@echo "make bench       the benchmark (bench/README.md); figures in bench/results/"
	@echo "make profile     py-spy flame graphs of the ingress and processor under load"

$(STAMP): pyproject.toml
	@echo "setting up $(VENV) with $(PYTHON)..."
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "fleetwire needs Python 3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

kafka:
	@$(BROKER) start

kafka-stop:
	@$(BROKER) stop

topics: venv
	@$(BIN)/fleetwire topics

run: venv
	@deploy/local/run.sh

test: venv
	@deploy/local/test.sh $(PYTEST_ARGS)

lint: venv
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy

bench: venv
	@$(BIN)/python -m bench $(BENCH_ARGS)

profile: venv
	@$(BIN)/python -m bench.profile $(PROFILE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
