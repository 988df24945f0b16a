"""Shared fixtures. Tests take them as arguments; nothing here is imported as a module.

Paths: ``root`` (the checkout), ``cases`` (its cases/ folder), ``python`` and ``mpirun`` (the
venv's). Running a case: ``sprout`` runs the CLI as a user would (a subprocess, on 1 or 2
ranks) and returns the CompletedProcess; ``run_cli`` runs ``sprout run`` and returns the
summary; ``run_case`` runs a case in-process (``solver.run_case``) on the ranks pytest was
started with. ``read_summary`` reads OUT/summary.json, ``relative`` is |a - b| / |b|.

Tests marked ``mpi`` run in-process on however many ranks pytest was started with
(``make test`` runs them again under ``mpirun -n 2``); their files go to ``shared_tmp``, a
directory every rank sees. Tests marked ``slow`` measured above ~1.5 s each (a solve, a 3D
mesh, two ranks; ``make test-fast`` leaves them out and so stays under 2 minutes).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import solver  # noqa: F401  (loads the MPI binding before dolfinx/petsc4py)
from mpi4py import MPI

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    """The checkout: CLI subprocesses run here."""
    return ROOT


@pytest.fixture(scope="session")
def cases(root) -> Path:
    """The shipped case files (cases/)."""
    return root / "cases"


@pytest.fixture(scope="session")
def python() -> str:
    return sys.executable


@pytest.fixture(scope="session")
def mpirun() -> str:
    """The venv's mpirun (the one matching the MPI that mpi4py and dolfinx use)."""
    return str(Path(sys.executable).parent / "mpirun")


@pytest.fixture
def shared_tmp():
    """A temporary directory that every MPI rank sees (rank 0 creates and removes it)."""
    comm = MPI.COMM_WORLD
    path = comm.bcast(tempfile.mkdtemp(prefix="sprout-test-") if comm.rank == 0 else None, root=0)
    yield Path(path)
    comm.barrier()
    if comm.rank == 0:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def sprout(root, python, mpirun):
    """``sprout(*args, ranks=1, cwd=None, timeout=300, env=None)``: the CLI as a user runs it
    (``python -m solver ...``; under ``mpirun -n ranks`` when ranks > 1); returns the
    CompletedProcess (text stdout and stderr)."""

    def sprout(*args, ranks: int = 1, cwd=None, timeout: float = 300, env=None) -> subprocess.CompletedProcess:
        cmd = [python, "-m", "solver", *map(str, args)]
        if ranks > 1:
            cmd = [mpirun, "-n", str(ranks), *cmd]
        env = dict(os.environ if env is None else env)
        env.pop("PYTEST_CURRENT_TEST", None)
        return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd or root, timeout=timeout, env=env)

    return sprout


@pytest.fixture(scope="session")
def read_summary():
    """``read_summary(out)``: OUT/summary.json as a dict."""

    def read_summary(out) -> dict:
        return json.loads((Path(out) / "summary.json").read_text())

    return read_summary


@pytest.fixture(scope="session")
def run_cli(sprout, read_summary):
    """``run_cli(case, out, *args, ranks=1, timeout=300, expect=0)``: ``sprout run CASE -o OUT
    ARGS...`` as a subprocess on ``ranks`` ranks; asserts the exit code is ``expect`` (stderr
    shown otherwise) and returns OUT/summary.json."""

    def run_cli(case, out, *args, ranks: int = 1, timeout: float = 300, expect: int = 0) -> dict:
        r = sprout("run", case, "-o", out, *args, ranks=ranks, timeout=timeout)
        assert r.returncode == expect, r.stderr
        data = read_summary(out)
        overrides = [str(args[i + 1]) for i, a in enumerate(args[:-1]) if a == "--set"]
        assert_declared(case, overrides, data)
        return data

    return run_cli


@pytest.fixture(scope="session")
def run_case():
    """``run_case(case, out, *overrides)``: the case run in-process (``solver.run_case``, the
    driver ``sprout run`` uses) on the ranks pytest was started with; asserts it finished
    ("ok", on every rank) and returns the summary."""

    def run_case(case, out, *overrides) -> dict:
        data = solver.run_case(case, out, list(overrides), MPI.COMM_WORLD)
        assert_declared(case, list(overrides), data)
        assert data["status"] == "ok", data
        assert data["ranks"] == MPI.COMM_WORLD.size
        return data

    return run_case


def assert_declared(case, overrides: list[str], data: dict) -> None:
    """Every result a run reported is one its kind declares (solver.core.result_names): what
    a flow's show/require and a sweep's responses are checked against before they run."""
    from solver.workflow.registry import KINDS, load_case

    try:
        loaded = load_case(case, overrides)
    except solver.CaseError:
        return  # a run that was meant to be refused
    declared = KINDS[loaded.kind].declared_results(loaded)
    if declared is None:
        return
    unknown = [k for k in data.get("results", {}) if not declared.knows(k)]
    assert not unknown, f"results the {loaded.kind} kind does not declare: {unknown}"


@pytest.fixture(scope="session")
def relative():
    """``relative(a, b)``: |a - b| / |b|."""

    def relative(a: float, b: float) -> float:
        return abs(a - b) / abs(b)

    return relative
