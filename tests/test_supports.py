"""Supports: symmetry planes and minimal point supports add no stress to a free body."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CASES
from mpi4py import MPI

from solver.cli import execute_run
from solver.supports import choose_point_supports, mode_value, remaining_modes


@pytest.mark.parametrize(
    "formulation, axes, expected",
    [
        ("3d", [], ["tx", "ty", "tz", "rx", "ry", "rz"]),
        ("3d", [2], ["tx", "ty", "rz"]),  # a symmetry plane z = const
        ("3d", [0, 1], ["tz"]),  # quarter model
        ("3d", [0, 1, 2], []),
        ("plane_strain", [], ["tx", "ty", "rz"]),
        ("plane_strain", [0], ["ty"]),
        ("axisymmetric", [], ["ty"]),
        ("axisymmetric", [1], []),
    ],
)
def test_remaining_rigid_modes(formulation, axes, expected):
    assert remaining_modes(formulation, axes, clamped=False) == expected
    assert remaining_modes(formulation, axes, clamped=True) == []


def test_point_supports_are_statically_determinate():
    import dolfinx.mesh as dmesh

    msh = dmesh.create_box(MPI.COMM_WORLD, [[0, 0, 0], [2, 1, 0.5]], [4, 3, 2])
    modes = ["tx", "ty", "tz", "rx", "ry", "rz"]
    chosen = choose_point_supports(msh, modes, np.array([1.0, 0.5, 0.0]), 2.0)
    assert len(chosen) == 6
    M = np.array([[mode_value(m, np.array(s.point), np.zeros(3), 3)[s.component] for m in modes] for s in chosen])
    assert np.linalg.matrix_rank(M) == 6  # invertible: removes the modes, constrains nothing else


@pytest.mark.parametrize("parallel", [pytest.param(False, id="serial"),
                                      pytest.param(True, id="mpi", marks=pytest.mark.mpi)])
def test_quarter_model_free_expansion(parallel, shared_tmp):
    """The equal-CTE body as a quarter model (symmetry planes x = 0 and y = 0) plus one point
    support for the remaining z translation: still stress-free."""
    over = ["supports.symmetry=[\"left\", \"front\"]", "output.fields=false", "output.picture=false"]
    data = execute_run(CASES / "validation" / "free_expansion.toml", shared_tmp / "q", over, MPI.COMM_WORLD)
    assert data["results"]["max_von_mises_MPa"] < 1e-8 * 33.8
    assert data["supports"]["rigid_modes_removed_by_points"] == ["tz"]
    assert len(data["supports"]["points"]) == 1


def test_clamped_body_carries_constraint_stress(shared_tmp):
    """The same body clamped at its bottom is not free: heating it must produce stress
    (the test that the zero above is not an artefact of measuring nothing)."""
    over = ["supports.clamped=[\"bottom\"]", "output.fields=false", "output.picture=false"]
    data = execute_run(CASES / "validation" / "free_expansion.toml", shared_tmp / "c", over, MPI.COMM_WORLD)
    assert data["results"]["max_von_mises_MPa"] > 10.0
    assert data["supports"]["points"] == []
