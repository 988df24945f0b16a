"""Shared test helpers.

Tests marked ``mpi`` run in-process on however many ranks pytest was started with
(``make test`` runs them again under ``mpirun -n 2``); their files go to a directory
shared by all ranks. CLI tests start ``python -m solver`` (and ``mpirun``) as subprocesses.
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
CASES = ROOT / "cases"
PYTHON = sys.executable
MPIRUN = str(Path(sys.executable).parent / "mpirun")


@pytest.fixture
def shared_tmp():
    """A temporary directory that every MPI rank sees (rank 0 creates and removes it)."""
    comm = MPI.COMM_WORLD
    path = comm.bcast(tempfile.mkdtemp(prefix="sprout-test-") if comm.rank == 0 else None, root=0)
    yield Path(path)
    comm.barrier()
    if comm.rank == 0:
        shutil.rmtree(path, ignore_errors=True)


def sprout(*args, ranks: int = 1, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    """Run the CLI as a user would; ``ranks`` > 1 runs it under mpirun."""
    cmd = [PYTHON, "-m", "solver", *map(str, args)]
    if ranks > 1:
        cmd = [MPIRUN, "-n", str(ranks), *cmd]
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd or ROOT, timeout=timeout, env=env)


def read_summary(out: Path) -> dict:
    return json.loads((Path(out) / "summary.json").read_text())


def relative(a: float, b: float) -> float:
    return abs(a - b) / abs(b)
