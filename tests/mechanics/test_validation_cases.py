"""Every ``cases/validation/*.toml`` against its closed form (VALIDATION.md, thermo-mechanical).

Each case runs in-process through the same path as ``sprout run``; the ``mpi`` variants run
the same comparison when pytest itself runs under ``mpirun -n 2``."""

from __future__ import annotations

import pytest

SERIAL_AND_MPI = [pytest.param(False, id="serial"), pytest.param(True, id="mpi", marks=pytest.mark.mpi)]

# Relative tolerances, and why they are that size (P2 everywhere):
TOLERANCES = {
    # The interior solution (u_x bilinear, w quadratic in x) lies in the P2 space; the
    # free-end boundary layers decay over ~h and are outside the fit window. What is left
    # is round-off and the solver tolerance: measured 3e-10.
    "bimetal_strip": {"curvature_1_per_m": 1e-6},
    # 3D elasticity differs from plate theory through the free-edge boundary layer, whose
    # hoop stresses shift the interior curvature by O(h/R) when the layers' Poisson ratios
    # differ: measured 2.0e-4 at R/h = 20, 1.0e-4 at R/h = 40 (8.5e-8 with equal nu, tested
    # below). The film stress is a mean over the film and is less sensitive (1.6e-5).
    "film_on_wafer": {"curvature_1_per_m": 5e-4, "stoney_ratio": 5e-4, "film_stress_MPa": 1e-4},
    # Curved boundaries as quadratic arcs (mesh order 2), h = a/10: measured 3.5e-6 and
    # 9e-7; 1e-4 leaves room for mesh changes across gmsh versions.
    "lame_cylinder": {"interface_pressure_MPa": 1e-4, "shell_mean_hoop_stress_MPa": 1e-4},
    # As above, axisymmetric, h = a/8: measured 1.9e-5.
    "sphere_in_shell": {"interface_pressure_MPa": 1e-4},
}


@pytest.mark.parametrize("parallel", SERIAL_AND_MPI)
@pytest.mark.parametrize("name", sorted(TOLERANCES))
def test_matches_closed_form(name, parallel, shared_tmp, run_case, cases, relative, read_summary):
    data = run_case(cases / "validation" / f"{name}.toml", shared_tmp / name)
    assert set(data["reference"]) == set(TOLERANCES[name])
    for key, tol in TOLERANCES[name].items():
        assert relative(data["results"][key], data["reference"][key]) < tol, (key, data["results"][key],
                                                                              data["reference"][key])
    assert read_summary(shared_tmp / name)["results"] == data["results"]


@pytest.mark.parametrize("name", sorted(TOLERANCES))
def test_iterative_p_multigrid_matches_closed_form(name, shared_tmp, run_case, cases, relative):
    """The same comparisons through CG with the P2 -> P1 p-multigrid (GAMG on P1) that
    large package models use: the tolerance is on the true residual (1e-10), so the same
    closed-form tolerances hold."""
    data = run_case(cases / "validation" / f"{name}.toml", shared_tmp / f"{name}_pmg", "solver.method=iterative")
    assert data["solver"]["method"] == "cg+pmg(p2/p1-gamg)"
    for key, tol in TOLERANCES[name].items():
        assert relative(data["results"][key], data["reference"][key]) < tol, key


@pytest.mark.parametrize("parallel", SERIAL_AND_MPI)
def test_free_expansion_is_stress_free(parallel, shared_tmp, run_case, cases):
    """Equal CTE, different E and nu, 3-2-1 supports: u = alpha dT x exactly, sigma = 0.

    The P2 space contains the exact (linear) solution, so both measures sit at round-off:
    stress below 1e-8 of E alpha |dT| (33.8 MPa here; measured 4e-10 MPa) and the
    displacement deviation below 1e-9 of alpha dT L (1.0 um here; measured 2e-11 um)."""
    data = run_case(cases / "validation" / "free_expansion.toml", shared_tmp / "free")
    scale_stress = 130e3 * 2.6e-6 * 100  # MPa: E_Si alpha dT
    scale_disp = 2.6e-6 * 100 * 4e3  # um: alpha dT L
    assert data["results"]["max_von_mises_MPa"] < 1e-8 * scale_stress
    assert data["results"]["max_displacement_deviation_um"] < 1e-9 * scale_disp
    assert data["reference"] == {"max_von_mises_MPa": 0.0, "max_displacement_deviation_um": 0.0}
    # Statically determinate: exactly six point constraints for the six rigid modes.
    assert len(data["supports"]["points"]) == 6


def test_film_on_wafer_is_exact_with_equal_poisson_ratio(shared_tmp, run_case, cases, relative):
    """With equal nu the edge boundary layer carries no hoop mismatch, so plate theory is
    exact in the interior and only round-off remains (measured 8.5e-8)."""
    data = run_case(cases / "validation" / "film_on_wafer.toml", shared_tmp / "fw", "materials.Cu.nu=0.28",
                    "output.fields=false", "output.picture=false")
    assert relative(data["results"]["curvature_1_per_m"], data["reference"]["curvature_1_per_m"]) < 1e-6


def test_film_on_wafer_edge_effect_shrinks_with_radius(shared_tmp, run_case, cases, relative):
    """The 2e-4 curvature deviation at R/h = 20 is the O(h/R) edge effect: doubling R halves it."""
    errs = []
    for length in ("10 mm", "20 mm"):
        data = run_case(cases / "validation" / "film_on_wafer.toml", shared_tmp / length.replace(" ", ""),
                        f"geometry.length={length}", "output.fields=false", "output.picture=false")
        errs.append(relative(data["results"]["curvature_1_per_m"], data["reference"]["curvature_1_per_m"]))
    assert 1.7 < errs[0] / errs[1] < 2.3, errs


def test_stoney_ratio_is_its_thin_film_deviation(shared_tmp, run_case, cases):
    """Stoney is off by several percent at h_f/h_s = 0.02 (the ratio is not 1) and the FE
    reproduces that deviation; a thinner film brings the ratio toward 1."""
    data = run_case(cases / "validation" / "film_on_wafer.toml", shared_tmp / "fw", "output.fields=false",
                    "output.picture=false")
    ratio = data["results"]["stoney_ratio"]
    assert 0.9 < ratio < 0.97
    thin = run_case(cases / "validation" / "film_on_wafer.toml", shared_tmp / "thin",
                    "geometry.layers[1].thickness=1 um", "output.fields=false", "output.picture=false")
    assert abs(thin["results"]["stoney_ratio"] - 1) < 0.2 * abs(ratio - 1)


def test_lame_full_disk_as_free_body(shared_tmp, run_case, cases, relative):
    """The whole disk with no symmetry planes: three point supports (2D rigid modes) must
    leave the Lame state untouched; a disk has no bottom surface, so no warpage is reported."""
    data = run_case(cases / "validation" / "lame_cylinder.toml", shared_tmp / "full", "geometry.sector=full",
                    "supports.symmetry=[]", "output.fields=false")
    assert data["supports"]["rigid_modes_removed_by_points"] == ["tx", "ty", "rz"]
    assert relative(data["results"]["interface_pressure_MPa"], data["reference"]["interface_pressure_MPa"]) < 1e-4
    assert "warpage_um" not in data["results"]
