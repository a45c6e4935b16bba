# fleetwire development tasks. Every target does its own set-up from a fresh clone.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BROKER := deploy/kafka/broker.sh

.PHONY: help venv tools kafka kafka-stop run test lint bench profile topics schemas docs clean

help:
	@echo "make run         start kafka, topics, ingress and processors (Ctrl-C stops all)"
	@echo "make test        the whole test suite against a real local broker"
	@echo "make tools       install promtool/prometheus for the monitoring tests (if missing)"
	@echo "make lint        ruff and mypy (strict)"
	@echo "make kafka       start the local broker (idempotent); make kafka-stop stops it"
	@echo "make bench       the benchmark (bench/README.md); figures in bench/results/"
	@echo "make profile     py-spy flame graphs of the ingress and processor under load"
	@echo "make schemas     regenerate the JSON Schemas in schemas/json/ from the structs"
	@echo "make docs        regenerate docs/events.md and the README's domain table"

$(STAMP): pyproject.toml
	@echo "setting up $(VENV) with $(PYTHON)..."
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "fleetwire needs Python 3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]' > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@touch $(STAMP)

venv: $(STAMP)

tools:
	@deploy/local/tools.sh

kafka:
	@$(BROKER) start

kafka-stop:
	@$(BROKER) stop

topics: venv
	@$(BIN)/fleetwire topics

run: venv
	@deploy/local/run.sh

test: venv tools
	@deploy/local/test.sh $(PYTEST_ARGS)

lint: venv
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy

bench: venv
	@$(BIN)/python -m bench $(BENCH_ARGS)

profile: venv
	@$(BIN)/python -m bench.profile $(PROFILE_ARGS)

schemas: venv
	@$(BIN)/python -m schemas.jsonschema

docs: venv
	@$(BIN)/python -m schemas.eventsdoc

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
