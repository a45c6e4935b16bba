# fleetwire development tasks. Every target does its own set-up from a fresh clone.

# PYTHON: any 3.11 to 3.13 interpreter (a name on PATH, a pyenv version's name, or a path).
# VENV: where the locked set is installed; one per Python keeps switching versions cheap.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
BROKER := deploy/kafka/broker.sh
export PYTHON VENV
# The local Kafka (deploy/kafka/README.md): e.g. make kafka KAFKA_BROKERS=3 KAFKA_SECURITY=secured
export KAFKA_VERSION KAFKA_BROKERS KAFKA_SECURITY KAFKA_EXTRA_CONFIG KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_STATE_DIR

.PHONY: help venv upgrade test-latest test-unit test-cluster tools kafka kafka-stop kafka-stop-all run test lint bench profile topics schemas docs clean

help:
	@echo "make run         start kafka, topics, ingress and processors (Ctrl-C stops all)"
	@echo "make test        the whole test suite against a real local broker"
	@echo "make tools       install promtool/prometheus for the monitoring tests (if missing)"
	@echo "make test-unit   the tests that need no broker"
	@echo "make test-cluster  failure tests on a three-node cluster of their own"
	@echo "make test-latest the suite on the newest releases pyproject.toml allows (not the lock)"
	@echo "make upgrade     refresh uv.lock to the newest releases, then make test"
	@echo "make lint        ruff and mypy (strict)"
	@echo "make kafka       start the local Kafka (idempotent); make kafka-stop stops it"
	@echo "                 KAFKA_VERSION=4.4.0|3.9.1 KAFKA_BROKERS=1|3 KAFKA_SECURITY=plaintext|secured"
	@echo "make kafka-stop-all  stop every local Kafka under .kafka/"
	@echo "make bench       the benchmark (bench/README.md); figures in bench/results/"
	@echo "make profile     py-spy flame graphs of the ingress and processor under load"
	@echo "make schemas     regenerate the JSON Schemas in schemas/json/ and the client's structs"
	@echo "make docs        regenerate docs/events.md, the README's domain table, the AsyncAPI document and the field-coverage table"

# Cheap to run every time: uv compares $(VENV) with uv.lock and changes only what differs.
venv:
	@deploy/local/venv.sh

tools:
	@deploy/local/tools.sh

kafka:
	@$(BROKER) start

kafka-stop:
	@$(BROKER) stop

kafka-stop-all:
	@$(BROKER) stop-all

topics: venv
	@$(BIN)/fleetwire topics

run: venv
	@deploy/local/run.sh

# The three-node failure tests start their own cluster and take minutes: test-cluster.
PYTEST_ARGS ?= -m "not cluster"

test: venv tools
	@deploy/local/test.sh $(PYTEST_ARGS)

# The tests that need no broker (a second or third Python in CI).
test-unit: venv tools
	@$(BIN)/python -m pytest -m "not kafka and not cluster" $(UNIT_ARGS)

# Failure tests on a three-node Kafka cluster of their own (tests/cluster/).
test-cluster: venv
	@$(BIN)/python -m pytest -m cluster tests/cluster $(CLUSTER_ARGS)

upgrade:
	@$$(deploy/local/uv.sh) lock --upgrade
	@echo "uv.lock refreshed; review 'git diff uv.lock', run make schemas and make test, then commit"

test-latest: tools
	@deploy/local/venv.sh --latest
	@VENV=.venv-latest deploy/local/test.sh $(PYTEST_ARGS)

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
	@$(BIN)/python -m schemas.client

docs: venv
	@$(BIN)/python -m commands.eventsdoc
	@$(BIN)/python -m commands.asyncapi
	@$(BIN)/python -m commands.coverage

clean:
	rm -rf .venv .venv-* .tools .pytest_cache .mypy_cache .ruff_cache .hypothesis
