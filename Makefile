# airflow-provider-salesloft: every target makes its own environment; a fresh machine needs Python 3 and make.
#
#   make demo                     run the example DAG end to end against the simulator
#   make test                     lint + the whole suite on the newest Airflow 3 line
#   make test AIRFLOW_VERSION=2.11.2   the same on another supported line
#   make test-all                 the whole suite on every supported line (what CI runs)
#   make test-deploy              a real deployment: PostgreSQL, scheduler, api-server, parallel tasks
#   make test-deploy-celery       the same with the CeleryExecutor: two workers, a Redis broker
#   make dist-check               build wheel and sdist; install the wheel into a clean venv; Airflow finds it
#   make bench                    benchmarks/ (numbers for docs/performance.md)
#   make fuzz FUZZ_MINUTES=20     the simulation harness on random worlds for that long; prints a failing
#                                 world as a ready-to-paste regression test
#   make docs                     the docs site (MkDocs, warnings as errors) into site/
#   make lint                     ruff + mypy

# Supported Airflow lines, each pinned to the version we test: the one place to change them.
AIRFLOW_LINES := 2.11.2 3.3.2
AIRFLOW_VERSION ?= $(lastword $(AIRFLOW_LINES))
UV_VERSION := 0.13.9

PYTHON ?= python3
TOOLS := .venv-tools
UV := $(TOOLS)/bin/uv
VENV := .venv-airflow-$(AIRFLOW_VERSION)
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv test test-all test-deploy test-deploy-celery dist-check lint demo bench docs clean fuzz
DEPLOY_STAMP := $(VENV)/.deploy-installed

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet "apache-airflow==$(AIRFLOW_VERSION)" -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check airflow_provider_salesloft tests example_dags benchmarks
	$(VENV)/bin/ruff format --check airflow_provider_salesloft tests example_dags benchmarks
	$(VENV)/bin/mypy

test: lint
	@echo "== Airflow $$($(PY) -c 'import airflow; print(airflow.__version__)')"
	$(PY) -m pytest $(PYTEST_ARGS)

# PostgreSQL from the system packages (installed when missing; we are root in CI), psycopg2 in the venv.
$(DEPLOY_STAMP): $(STAMP)
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet "apache-airflow[postgres]==$(AIRFLOW_VERSION)" -e ".[test]"
	touch $(DEPLOY_STAMP)

test-deploy: $(DEPLOY_STAMP)
	SALESLOFT_TEST_DEPLOY=1 $(PY) -m pytest tests/deploy -p no:randomly -s $(PYTEST_ARGS)

# The same deployment with the CeleryExecutor: two workers and a Redis broker (system packages, installed with
# apt-get when missing), on loopback. Not in .ci/run (it adds minutes); run it when executor behaviour matters.
CELERY_STAMP := $(VENV)/.celery-installed
$(CELERY_STAMP): $(DEPLOY_STAMP)
	@command -v redis-server >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null)
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet "apache-airflow[postgres,celery]==$(AIRFLOW_VERSION)" -e ".[test]"
	touch $(CELERY_STAMP)

test-deploy-celery: $(CELERY_STAMP)
	SALESLOFT_TEST_DEPLOY=1 SALESLOFT_DEPLOY_EXECUTOR=CeleryExecutor \
		$(PY) -m pytest tests/deploy -p no:randomly -s $(PYTEST_ARGS)

# The built wheel, installed alone (no -e, no test extras) next to Airflow: what a user's pip gets.
dist-check: | $(UV)
	rm -rf dist .venv-dist-check
	$(UV) build --quiet --out-dir dist
	$(UV) venv --quiet --python $(PYTHON) .venv-dist-check
	VIRTUAL_ENV=.venv-dist-check $(UV) pip install --quiet "apache-airflow==$(AIRFLOW_VERSION)" dist/*.whl
	cd /tmp && AIRFLOW_HOME=$$(mktemp -d) $(CURDIR)/.venv-dist-check/bin/python -c "\
	import importlib.metadata as m, importlib.resources as r; \
	assert m.version('airflow-provider-salesloft') == __import__('airflow_provider_salesloft').__version__; \
	assert m.metadata('airflow-provider-salesloft')['License-Expression'] == 'Apache-2.0'; \
	root = r.files('airflow_provider_salesloft'); \
	assert root.joinpath('py.typed').is_file() and root.joinpath('testing/simulator.py').is_file(); \
	from airflow.providers_manager import ProvidersManager; \
	assert 'airflow-provider-salesloft' in ProvidersManager().providers; \
	print('dist-check: wheel and sdist built; installed wheel found by Airflow')"
	rm -rf .venv-dist-check

test-all:
	@set -e; for version in $(AIRFLOW_LINES); do $(MAKE) --no-print-directory test AIRFLOW_VERSION=$$version; done

demo: $(STAMP)
	VENV=$(VENV) bash scripts/demo.sh

# Random worlds (tests/simulation/) until FUZZ_MINUTES have passed; `make test` runs a fixed corpus of them.
FUZZ_MINUTES ?= 20
fuzz: $(STAMP)
	SALESLOFT_FUZZ_MINUTES=$(FUZZ_MINUTES) $(PY) -m pytest tests/simulation/fuzz.py -p no:randomly -s -q

bench: $(STAMP)
	$(PY) benchmarks/bench_sync.py
	$(PY) benchmarks/bench_create.py
	$(PY) benchmarks/bench_shared.py

# The docs site: MkDocs in its own small venv; --strict turns every warning (a broken link or anchor, a page
# left out of the nav) into an error.
DOCS_VENV := .venv-docs
$(DOCS_VENV)/.installed: | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(DOCS_VENV)
	VIRTUAL_ENV=$(DOCS_VENV) $(UV) pip install --quiet "mkdocs==1.6.1"
	touch $@

docs: $(DOCS_VENV)/.installed
	$(DOCS_VENV)/bin/mkdocs build --strict --clean

clean:
	rm -rf .venv-airflow-* $(TOOLS) $(DOCS_VENV) .demo site
