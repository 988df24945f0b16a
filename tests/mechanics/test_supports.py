"""Supports: symmetry planes and minimal point supports add no stress to a free body."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from solver.mechanics.supports import choose_point_supports, mode_value, remaining_modes


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
def test_quarter_model_free_expansion(parallel, shared_tmp, run_case, cases):
    """The equal-CTE body as a quarter model (symmetry planes x = 0 and y = 0) plus one point
    support for the remaining z translation: still stress-free."""
    over = ["supports.symmetry=[\"left\", \"front\"]", "output.fields=false", "output.picture=false"]
    data = run_case(cases / "validation" / "free_expansion.toml", shared_tmp / "q", *over)
    assert data["results"]["max_von_mises_MPa"] < 1e-8 * 33.8
    assert data["supports"]["rigid_modes_removed_by_points"] == ["tz"]
    assert len(data["supports"]["points"]) == 1


def test_clamped_body_carries_constraint_stress(shared_tmp, run_case, cases):
    """The same body clamped at its bottom is not free: heating it must produce stress
    (the test that the zero above is not an artefact of measuring nothing)."""
    over = ["supports.clamped=[\"bottom\"]", "output.fields=false", "output.picture=false"]
    data = run_case(cases / "validation" / "free_expansion.toml", shared_tmp / "c", *over)
    assert data["results"]["max_von_mises_MPa"] > 10.0
    assert data["supports"]["points"] == []


@pytest.mark.parametrize("symmetry_axes", [[], [0], [0, 1]])
def test_warpage_keeps_the_tilt_that_symmetry_fixes(symmetry_axes):
    """A dish w = k r^2 / 2 seen on the full, half and quarter model. The full model's
    tilt is free and removed; a symmetry plane fixes the tilt across it, so on the quarter
    model nothing is removed and the warpage is that of the dish over the quarter (removing
    a plane there would report about a quarter of it). Exact up to round-off."""
    from solver.mechanics.results import warpage

    k, a = 2.0, 1e-3  # 1/m, half-width in m
    t = np.linspace(-a, a, 41)
    x, y = (v.ravel() for v in np.meshgrid(t, t))
    keep = np.ones_like(x, dtype=bool)
    if 0 in symmetry_axes:
        keep &= x >= 0
    if 1 in symmetry_axes:
        keep &= y >= 0
    p = np.column_stack([x[keep], y[keep]])
    free = remaining_modes("3d", symmetry_axes, clamped=False)
    tilt = 0.0 if 0 in symmetry_axes else 3e-4  # a free body's arbitrary tilt about y
    w = 0.5 * k * (p ** 2).sum(axis=1) + tilt * p[:, 0]
    assert warpage(p, w, "3d", 3, free) == pytest.approx(k * a * a, rel=1e-12)
    # a body that may tilt about y but not about x: only the tilt along x goes
    assert warpage(p, p[:, 0] * 1e-3, "3d", 3, ["rz", "ry"]) == pytest.approx(0.0, abs=1e-18)
    assert warpage(p, p[:, 1] * 1e-3, "3d", 3, ["rz", "ry"]) > 0
