# Every target builds .venv on first use, so a fresh clone needs nothing but python3 >= 3.10.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DEV    := $(VENV)/.dev-installed
BENCH  := $(VENV)/.bench-installed

.PHONY: test lint typecheck bench check-all clean fuzz soak conformance conformance-client inspector \
	test-py wheel-smoke servers conformance-cluster conformance-mutants

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(DEV): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(BENCH): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

# The real servers the tests start on loopback ports (Debian packages), installed where missing.
SERVER_PACKAGES := redis-server haproxy
servers:
	@missing=""; for pkg in $(SERVER_PACKAGES); do command -v $$pkg > /dev/null || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing (apt-get)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing > /dev/null; \
	fi

test: $(DEV) servers
	$(PY) -m pytest -q

lint: $(DEV)
	$(VENV)/bin/ruff check mcpcore tests benchmarks
	$(VENV)/bin/ruff format --check mcpcore tests benchmarks

typecheck: $(DEV)
	$(VENV)/bin/mypy --strict mcpcore

bench: $(BENCH) servers
	$(PY) -m benchmarks.runner --write --readme README.md

# The official MCP conformance suite against the fixture over HTTP (installs node 22 + suite into .node/).
conformance: $(DEV)
	$(PY) tests/conformance/run.py

# The same suite runs through a real haproxy (plain round-robin, no stickiness) in front of 3 replicas
# sharing one requestState key and one Redis (tests/cluster/run_conformance.py).
conformance-cluster: $(DEV) servers
	PYTHONPATH=. $(PY) -m tests.cluster.run_conformance --redis

# The mutants (tests/check/mutants.py, each the example with one rule broken) through the official suite
# (--scenario, HTTP) and mcpcore check (HTTP and stdio); fails when a tool that tests a rule misses it.
conformance-mutants: $(DEV)
	PYTHONPATH=. $(PY) -m tests.check.official_mutants

# The official suite's client scenarios against mcpcore's client (examples/conformance_client.py).
conformance-client: $(DEV)
	PYTHONPATH=. $(PY) tests/client/run_conformance_client.py

# The official MCP Inspector CLI against the example over stdio (installs node 22 + Inspector into .node/).
inspector: $(DEV)
	$(PY) tests/interop/inspector.py

# Long fuzzing: the tests/fuzz properties with many more examples, fresh random inputs each run
# (the protocol fuzzers send FUZZ_EXAMPLES cases per server, loop and role), then `mcpcore check --fuzz`
# with as many cases against the example calculator.
FUZZ_EXAMPLES ?= 5000
fuzz: $(DEV)
	MCPCORE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) MCPCORE_FUZZ_RANDOM=1 $(PY) -m pytest -q -p no:cacheprovider \
		--timeout 3600 tests/fuzz
	$(PY) -m mcpcore check --only fuzz --fuzz --fuzz-count $(FUZZ_EXAMPLES) --fuzz-seed $$(date +%s) \
		-- $(PY) -m mcpcore.examples.calculator

# A million stdio requests and an HTTP session-churn run; figures go into benchmarks/RESULTS.md.
soak: $(DEV)
	$(PY) -m benchmarks.soak --write

# The suite on another claimed Python: `make test-py PYV=3.12` builds .venv-3.12 from pyenv's 3.12
# (.ci/find-python fails loudly when it is missing). PYTEST_ARGS narrows it (.ci/run names a subset).
PYV ?= 3.12
PYTEST_ARGS ?=
.venv-%/.dev-installed: pyproject.toml
	rm -rf .venv-$*
	"$$(.ci/find-python $*)" -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --upgrade pip
	.venv-$*/bin/python -m pip install --quiet -e '.[dev]'
	touch $@

test-py: .venv-$(PYV)/.dev-installed servers
	.venv-$(PYV)/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# The wheel `python -m build` makes (sdist, then the wheel from the sdist), not the editable install,
# in a fresh venv: install it, import it, run the CLI, call a tool over a real pipe (.ci/wheel_smoke.py).
wheel-smoke: $(DEV)
	$(PY) -m pip install --quiet build
	rm -rf dist .venv-wheel
	$(PY) -m build --outdir dist . > /dev/null
	$(PYTHON) -m venv .venv-wheel
	.venv-wheel/bin/python -m pip install --quiet dist/*.whl
	cd / && $(CURDIR)/.venv-wheel/bin/python $(CURDIR)/.ci/wheel_smoke.py

check-all: test lint typecheck

clean:
	rm -rf $(VENV) .venv-3.* .venv-wheel dist build .mypy_cache .ruff_cache .pytest_cache .hypothesis
