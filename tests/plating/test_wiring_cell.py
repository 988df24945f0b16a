"""Process A, thickening the patterned wiring: a 3D unit cell of the pattern plated
through resist openings (geometry ``wiring_cell``, P1, Newton with CG + GAMG). Closed form
of the 1D cell without resist, the Faraday balance of the thickness map, 1 vs 2 ranks."""

from __future__ import annotations

from pathlib import Path

import pytest

from solver.plating.electrochem import charge_transfer_resistance
from solver.core.materials import library_material

CASES = Path(__file__).resolve().parents[2] / "cases"
CASE = CASES / "plating" / "csp_wiring_thickening.toml"


def test_no_resist_is_the_1d_cell_with_linear_kinetics(tmp_path, run_cli, relative):
    """Without resist the whole floor plates and the potential is linear in z, which P1
    represents exactly: I = V A / (H / kappa + R_ct) to the solver tolerance (measured
    1e-15 for the kinetic current, 3e-10 for the discrete flux after CG at rtol 1e-10;
    tolerance 1e-9), uniform current density."""
    data = run_cli(CASE, tmp_path / "out", "--set", "geometry.resist_thickness=0 um", "--set",
                   "geometry.element_size=10 um", "--set", "geometry.far_element_size=25 um", "--set",
                   "cathode.kinetics=linear", "--set", "operation.cell_voltage=0.05 V")
    res = data["results"]
    kappa, H, V, A = 50.0, 100e-6, 0.05, 300e-6 * 150e-6
    Rct = charge_transfer_resistance(10.0, 0.5, 0.5, 298.15)
    exact = V * A / (H / kappa + Rct)
    assert relative(res["current_A"], exact) < 1e-9
    assert relative(res["flux_current_A"], exact) < 1e-9
    assert relative(res["cathode_area_um2"], A * 1e12) < 1e-12
    assert res["uniformity"] < 1e-9


@pytest.mark.slow
def test_faraday_balance_and_wiring_results(tmp_path, run_cli, relative):
    """The P1 thickness field integrates over the cathode to the Faraday volume of the
    charge, eps Q M / (n F rho), to round-off; the kinetic and flux currents agree to the
    Newton tolerance; the case runs at ~2 A/dm^2 with a pad/line ratio near 1 (Wa ~ 6e3)."""
    data = run_cli(CASE, tmp_path / "out")
    res = data["results"]
    cu = library_material("Cu_plated")
    faraday = res["charge_C"] * cu.molar_mass / (cu.valence * 96485.33212 * cu.density) * 1e18
    assert relative(res["deposited_volume_um3"], faraday) < 1e-12
    assert relative(res["charge_C"], res["current_A"] * 600.0) < 1e-14
    assert relative(res["flux_current_A"], res["current_A"]) < 1e-8
    assert res["thickness_mean_um"] == pytest.approx(res["deposited_volume_um3"] / res["cathode_area_um2"])
    assert res["thickness_min_um"] <= res["thickness_mean_um"] <= res["thickness_max_um"]
    assert 1.5 < res["mean_current_density_A_per_dm2"] < 2.5
    assert 0.9 < res["pad_to_line_thickness_ratio"] < 1.1
    assert data["solver"]["method"] == "newton+cg+gamg"
    assert data["solver"]["newton_iterations"] >= 1


@pytest.mark.slow
def test_one_and_two_ranks_agree(tmp_path, run_cli, relative):
    """The same mesh on 1 and 2 ranks: the currents and thickness statistics agree to the
    solver tolerances (relative 1e-8)."""
    one = run_cli(CASE, tmp_path / "np1")["results"]
    two = run_cli(CASE, tmp_path / "np2", ranks=2)["results"]
    for key in ("current_A", "thickness_min_um", "thickness_max_um", "thickness_mean_um",
                "pad_to_line_thickness_ratio", "deposited_volume_um3"):
        assert relative(two[key], one[key]) < 1e-8, key


@pytest.mark.slow
def test_check_and_bad_geometry(tmp_path, sprout):
    """``sprout check`` describes the case; a pad outside the cell is invalid input (exit 2,
    one message naming the field)."""
    r = sprout("check", CASE)
    assert r.returncode == 0, r.stderr
    assert "3D wiring cell" in r.stdout
    r = sprout("run", CASE, "-o", tmp_path / "bad", "--set", "geometry.pad_x=290 um")
    assert r.returncode == 2
    assert "geometry.pad_x" in r.stderr and "Traceback" not in r.stderr
