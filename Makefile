# sprout: `make demo` and `make test` are all a new user needs (README quick start).
# Both create .venv with a Python >= 3.12 they find and install the pinned stack once.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
MPIRUN := $(VENV)/bin/mpirun
STAMP := $(VENV)/.sprout-installed
NP ?= 2

.PHONY: venv demo test test-fast test-serial test-mpi bench clean help

help:
	@echo "make demo        the flagship: a 3D sprout-bump package cooled and cycled, into results/demo/"
	@echo "make test        full test suite (the CI gate): serial, then MPI-marked tests on $(NP) ranks"
	@echo "make test-fast   inner loop: tests not marked slow or mpi (about 3 minutes)"
	@echo "make bench       timed benchmarks -> benchmarks/results/*.json"

venv: $(STAMP)

# The stamp makes a second call a no-op; it is refreshed only when the
# dependency declaration or the pins change. The distribution was called "sprout" before it
# became sprout-wlp: a venv made then loses that install first (same packages, stale metadata).
$(STAMP): pyproject.toml requirements.lock .ci/find-python
	@set -e; \
	if [ ! -x "$(PY)" ]; then \
	  PYBIN="$$(.ci/find-python)"; \
	  echo "creating $(VENV) with $$PYBIN ($$($$PYBIN -c 'import sys; print(sys.version.split()[0])'))"; \
	  "$$PYBIN" -m venv "$(VENV)"; \
	fi; \
	echo "installing sprout (sprout-wlp) and its pinned dependencies into $(VENV) ..."; \
	"$(PY)" -m pip uninstall --quiet --yes sprout >/dev/null 2>&1 || true; \
	"$(PY)" -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[wheel,test]'; \
	touch "$@"

# The flagship: a diced chip-size package with 2-high sprout bumps through its resin, in 3D
# (P2, 87k DOFs) on $(NP) ranks, cooled from assembly and cycled; about 25 s on 2 cores.
DEMO_CASE := cases/csp_cooldown_diced.toml
demo: $(STAMP)
	@$(MPIRUN) -n $(NP) $(VENV)/bin/sprout run $(DEMO_CASE) -o results/demo -q >/dev/null
	@$(PY) -m solver.workflow.report results/demo/summary.json

test: test-serial test-mpi

# The inner loop: everything but the tests marked slow (measured > ~1.5 s) and mpi, on two
# workers; about 3 minutes on 2 cores (700 tests).
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not mpi" -q -n $(NP)

# Two workers (pytest-xdist), one file per worker at a time: module and session fixtures
# (a flow's run) are built once; 15.6 instead of about 21 minutes on 2 cores.
test-serial: $(STAMP)
	$(PY) -m pytest -m "not mpi" -q -n $(NP) --dist loadfile --durations=25

test-mpi: $(STAMP)
	timeout 1200 $(MPIRUN) -n $(NP) $(PY) -m pytest -m mpi -q -p no:cacheprovider

bench: $(STAMP)
	$(PY) benchmarks/meshing.py
	$(PY) benchmarks/run.py --ranks $(NP)
	$(PY) benchmarks/etch.py
	$(PY) benchmarks/sweep.py

clean:
	rm -rf results .pytest_cache
