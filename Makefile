# airflow-provider-salesloft: every target makes its own environment; a fresh machine needs Python 3 and make.
#
#   make demo                     run the example DAG end to end against the simulator
#   make test                     lint + the whole suite on the newest Airflow 3 line
#   make test AIRFLOW_VERSION=2.11.2   the same on another supported line
#   make test-smoke AIRFLOW_VERSION=3.1.8   the smoke suite on one line
#   make test-all                 the whole suite on 2.11 and the newest 3.x, the smoke suite on the other 3.x
#   make test-deploy              a real deployment: PostgreSQL, scheduler, api-server, parallel tasks
#   make test-deploy-celery       the same with the CeleryExecutor: two workers, a Redis broker
#   make test-deploy-lines        the deploy tests every other Airflow 3 line needs (SMOKE_LINES), one line after
#                                 the other: the deferred OAuth upsert on a real triggerer, no secret written
#   make dist-check               build wheel and sdist; install the wheel into a clean venv; Airflow finds it
#   make bench                    benchmarks/ (numbers for docs/performance.md)
#   make fuzz FUZZ_MINUTES=20     the simulation harness on random worlds for that long; prints a failing
#                                 world as a ready-to-paste regression test
#   make docs                     the docs site (MkDocs, warnings as errors) into site/
#   make screenshots              docs/img/ screenshots from a real api-server in headless Chromium (not in test)
#   make lint                     ruff + mypy

# Supported Airflow lines, each pinned to the latest patch we test: the one place to change them.
# AIRFLOW_LINES get the whole suite; SMOKE_LINES (the other Airflow 3 minor lines) the smoke suite
# (tests/smoke.py). Pins a line needs beyond Airflow's own requirements: constraints/airflow-<minor>.txt.
AIRFLOW_LINES := 2.11.2 3.3.2
SMOKE_LINES := 3.0.6 3.1.8 3.2.2
AIRFLOW_VERSION ?= $(lastword $(AIRFLOW_LINES))
AIRFLOW_MINOR := $(word 1,$(subst ., ,$(AIRFLOW_VERSION))).$(word 2,$(subst ., ,$(AIRFLOW_VERSION)))
PINS := $(wildcard constraints/airflow-$(AIRFLOW_MINOR).txt)
PIN_ARGS := $(if $(PINS),--constraint $(PINS))
UV_VERSION := 0.13.9

PYTHON ?= python3
TOOLS := .venv-tools
UV := $(TOOLS)/bin/uv
VENV := .venv-airflow-$(AIRFLOW_VERSION)
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv test test-smoke test-all test-deploy test-deploy-celery test-deploy-lines dist-check lint demo bench docs clean fuzz \
	screenshots
DEPLOY_STAMP := $(VENV)/.deploy-installed

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml $(PINS) | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet $(PIN_ARGS) "apache-airflow==$(AIRFLOW_VERSION)" -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check airflow_provider_salesloft tests example_dags benchmarks scripts
	$(VENV)/bin/ruff format --check airflow_provider_salesloft tests example_dags benchmarks scripts
	$(VENV)/bin/mypy

test: lint
	@echo "== Airflow $$($(PY) -c 'import airflow; print(airflow.__version__)')"
	$(PY) -m pytest $(PYTEST_ARGS)

# PostgreSQL from the system packages (installed when missing; we are root in CI), psycopg2 in the venv.
$(DEPLOY_STAMP): $(STAMP)
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet $(PIN_ARGS) "apache-airflow[postgres]==$(AIRFLOW_VERSION)" -e ".[test]"
	touch $(DEPLOY_STAMP)

test-deploy: $(DEPLOY_STAMP)
	SALESLOFT_TEST_DEPLOY=1 $(PY) -m pytest tests/deploy -p no:randomly -s $(PYTEST_ARGS)

# The deploy tests on each other Airflow 3 line (SMOKE_LINES; the newest line runs all of them above): the
# deferred upsert with an OAuth connection on a real triggerer under token revocation, no secret in any log,
# table or service output, every listener on loopback. One line after the other (each its own deployment);
# every line is run, and the target fails at the end if one did.
LINES_DEPLOY_TESTS := listener or secret or (deferred and oauth)
test-deploy-lines:
	@failed=""; for version in $(SMOKE_LINES); do \
		echo "== Airflow $$version (deploy: $(LINES_DEPLOY_TESTS))"; \
		$(MAKE) --no-print-directory test-deploy AIRFLOW_VERSION=$$version \
			PYTEST_ARGS="-k '$(LINES_DEPLOY_TESTS)' $(PYTEST_ARGS)" || failed="$$failed $$version"; \
	done; \
	if [ -n "$$failed" ]; then echo "test-deploy-lines failed on:$$failed"; exit 1; fi

# The same deployment with the CeleryExecutor: two workers and a Redis broker (system packages, installed with
# apt-get when missing), on loopback.
CELERY_STAMP := $(VENV)/.celery-installed
$(CELERY_STAMP): $(DEPLOY_STAMP)
	@command -v redis-server >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null)
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet $(PIN_ARGS) "apache-airflow[postgres,celery]==$(AIRFLOW_VERSION)" -e ".[test]"
	touch $(CELERY_STAMP)

test-deploy-celery: $(CELERY_STAMP)
	SALESLOFT_TEST_DEPLOY=1 SALESLOFT_DEPLOY_EXECUTOR=CeleryExecutor \
		$(PY) -m pytest tests/deploy -p no:randomly -s $(PYTEST_ARGS)

# The built wheel, installed alone (no -e, no test extras) next to Airflow: what a user's pip gets.
dist-check: | $(UV)
	rm -rf dist .venv-dist-check
	$(UV) build --quiet --out-dir dist
	$(UV) venv --quiet --python $(PYTHON) .venv-dist-check
	VIRTUAL_ENV=.venv-dist-check $(UV) pip install --quiet $(PIN_ARGS) "apache-airflow==$(AIRFLOW_VERSION)" dist/*.whl
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

# The smoke suite (tests/smoke.py: an add, a sync, OAuth rotation, the upsert deferred, the form, the link).
test-smoke: $(STAMP)
	@echo "== Airflow $$($(PY) -c 'import airflow; print(airflow.__version__)') (smoke)"
	$(PY) -m pytest -m smoke $(PYTEST_ARGS)

test-all:
	@set -e; for version in $(AIRFLOW_LINES); do $(MAKE) --no-print-directory test AIRFLOW_VERSION=$$version; done
	@set -e; for version in $(SMOKE_LINES); do $(MAKE) --no-print-directory test-smoke AIRFLOW_VERSION=$$version; done

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

# The docs site: MkDocs with the Material theme in its own small venv, pinned; the reference pages come from
# the docstrings (mkdocstrings' Python handler reads the source statically, so Airflow is not installed here).
# --strict turns every warning (a broken link or anchor, a page left out of the nav) into an error.
DOCS_VENV := .venv-docs
DOCS_PACKAGES := "mkdocs==1.6.1" "mkdocs-material==9.8.1" "pymdown-extensions==13.1" "pygments==2.21.0" \
	"mkdocstrings==1.0.8" "mkdocstrings-python==2.0.11" "griffe==2.4.1" "mkdocs-autorefs==1.4.5" "ruff==0.17.6"
$(DOCS_VENV)/.installed: Makefile | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(DOCS_VENV)
	VIRTUAL_ENV=$(DOCS_VENV) $(UV) pip install --quiet $(DOCS_PACKAGES)
	touch $@

docs: $(DOCS_VENV)/.installed
	$(DOCS_VENV)/bin/mkdocs build --strict --clean

# The docs' screenshots (docs/img/): a real deployment of the newest Airflow line (tests/deploy/deployment.py:
# PostgreSQL, api-server, scheduler, dag-processor, all on 127.0.0.1) and the simulator; the system's Chromium
# (apt-get, when missing) driven headless by Playwright, in their own venv. Run it when the UI changes and
# commit the PNGs. Not part of `make test`: it takes a few minutes.
SHOTS_VENV := .venv-screenshots
SHOTS_AIRFLOW := $(lastword $(AIRFLOW_LINES))
SHOTS_MINOR := $(word 1,$(subst ., ,$(SHOTS_AIRFLOW))).$(word 2,$(subst ., ,$(SHOTS_AIRFLOW)))
SHOTS_PINS := $(wildcard constraints/airflow-$(SHOTS_MINOR).txt)
SHOTS_PACKAGES := "playwright==1.65.2" "pillow==13.0.0"
$(SHOTS_VENV)/.installed: pyproject.toml Makefile $(SHOTS_PINS) | $(UV)
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql chromium >/dev/null)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(SHOTS_VENV)
	VIRTUAL_ENV=$(SHOTS_VENV) $(UV) pip install --quiet $(if $(SHOTS_PINS),--constraint $(SHOTS_PINS)) \
		"apache-airflow[postgres]==$(SHOTS_AIRFLOW)" -e . $(SHOTS_PACKAGES)
	touch $@

screenshots: $(SHOTS_VENV)/.installed
	$(SHOTS_VENV)/bin/python scripts/screenshots.py --out docs/img

clean:
	rm -rf .venv-airflow-* $(TOOLS) $(DOCS_VENV) $(SHOTS_VENV) .demo site
