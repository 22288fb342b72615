# The two commands of the README:  make demo   |   make test
# Everything they need (virtualenv, package, Pulumi engine) is prepared on the way, idempotently.
PYTHON ?= python3
VENV   := .venv
PY     := $(CURDIR)/$(VENV)/bin/python
# The engine runs offline: no update checks, no plugin downloads; .engine/bin first on PATH.
export PATH := $(CURDIR)/.engine/bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export PULUMI_SKIP_UPDATE_CHECK := true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true
export PULUMI_PYTHON_CMD := $(PY)

.PHONY: demo test unit lint typecheck bench soundness engine postgres venv clean
.DEFAULT_GOAL := demo

$(VENV)/.installed: setup.py constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[server,test]'
	touch $@

venv: $(VENV)/.installed

engine: venv
	@tools/engine/ensure-engine.sh $(PY)

# The PostgreSQL server programs the Teams tests start their own server from (Debian's package).
postgres:
	@tools/postgres/ensure-postgres.sh

demo: engine
	$(PY) examples/demo.py

# Independent engine tests side by side, each test file on one worker. Three on two cores: engine tests wait on
# child processes and servers part of the time (2026-12-02: 6 min 35 s on two, 5 min 54 s on three). Four was
# measured 2026-12-07 on four engine files: 5% less wall time for 12% more CPU, within the noise of a whole run.
PYTEST_WORKERS ?= 3

# The package's bytecode, brought up to date before the tests: every engine command starts two Python processes
# that import the package, and where PYTHONDONTWRITEBYTECODE is set (these machines' shells set it) each of them
# compiled the package's modules from source again (a quarter of their import time; users' installs have bytecode).
test: engine postgres
	$(PY) -m compileall -q pulumi_policies
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# The checks that need neither the engine nor PostgreSQL (the tests marked neither `engine` nor `postgres`, see
# tests/conftest.py); `make test` runs them too.
lint: venv
	$(PY) -m ruff check

typecheck: venv
	$(PY) -m mypy

unit: venv
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not engine and not postgres" $(PYTEST_ARGS)

bench: engine postgres
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[server,test,bench]'
	$(PY) -m compileall -q pulumi_policies
	$(PY) -m benchmarks

# The access gate's soundness property on the real engine, over new random sequences (docs/access-review.md, "What
# the gate cannot see"); RECORD=tests/fixtures/engine-soundness also records them for `make test` to replay.
SOUNDNESS_SEQUENCES ?= 4
SOUNDNESS_STEPS ?= 6
soundness: engine
	$(PY) -m tests.support.engine_soundness --sequences $(SOUNDNESS_SEQUENCES) --steps $(SOUNDNESS_STEPS) \
		$(if $(SOUNDNESS_SEED),--seed $(SOUNDNESS_SEED)) $(if $(RECORD),--record $(RECORD))

clean:
	rm -rf $(VENV) .engine .pytest_cache .hypothesis
