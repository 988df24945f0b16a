"""sprout installed without its finite-element stack (no dolfinx wheel, so no dolfinx,
PETSc or MPI): the commands that never solve still work, the ones that do say what is
missing in one line. The stack is hidden from a fresh interpreter by making its imports
fail (``sys.modules[name] = None``), which is what a missing package looks like to Python."""

from __future__ import annotations

import subprocess
import sys

import pytest

HIDDEN = ["dolfinx", "dolfinx_solver", "petsc4py", "mpi4py", "basix", "ffcx", "ufl"]
LAUNCH = (
    "import sys, runpy\n"
    f"for name in {HIDDEN!r}:\n"
    "    sys.modules[name] = None\n"
    "sys.argv = ['sprout', *sys.argv[1:]]\n"
    "runpy.run_module('solver', run_name='__main__', alter_sys=True)\n"
)


def bare(root, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LAUNCH, *map(str, args)], capture_output=True, text=True,
                          cwd=root, timeout=120)


# one shipped file of every case kind, a sweep and a flow
ONE_OF_EACH = [
    "validation/bimetal_strip.toml", "reliability/die_attach_cycling.toml", "geometry/csp_diced.toml",
    "etch/hole_array_merge.toml", "plating/newman_disk.toml", "plating/wafer_seed_electrolyte.toml",
    "plating/concavity_fill_void.toml", "flows/process_b.toml", "sweeps/bimetal_grid.toml",
]


def test_version_and_schema_without_the_stack(root):
    """`sprout --version` and `sprout schema` import nothing of dolfinx, PETSc or MPI."""
    version = bare(root, "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("sprout ")
    schema = bare(root, "schema")
    assert schema.returncode == 0, schema.stderr
    assert '"kind"' in schema.stdout and "Traceback" not in schema.stderr


@pytest.mark.slow
def test_check_without_the_stack(root):
    """`sprout check` validates a shipped file of every case kind, a sweep and a flow (exit 0,
    its one summary line) without the stack: the schema layer, the geometry rules and the
    mesh budget need pydantic, pint and gmsh only."""
    from solver.workflow.registry import KINDS, load_case

    kinds = {load_case(root / "cases" / name).kind for name in ONE_OF_EACH if "sweeps" not in name}
    assert kinds == set(KINDS)
    for name in ONE_OF_EACH:
        path = root / "cases" / name
        r = bare(root, "check", path)
        assert r.returncode == 0, (path, r.stderr)
        assert r.stdout.startswith("ok"), (path, r.stdout)


def test_solving_without_the_stack_says_what_is_missing(root, tmp_path):
    """`sprout run` and `sprout mesh` end with one line naming dolfinx and how to install it
    (exit 2, as for any input the command cannot take), and write nothing."""
    case = root / "cases" / "validation" / "bimetal_strip.toml"
    for args in (("run", case, "-o", tmp_path / "out"), ("mesh", case, "-o", tmp_path / "mesh")):
        r = bare(root, *args)
        assert r.returncode == 2, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "needs dolfinx" in lines[0] and "make venv" in lines[0], r.stderr
    assert list(tmp_path.iterdir()) == []
