"""The terminal effect (VALIDATION.md electroplating 4) and Faraday's balance of the
growing deposit (6), on 1 and 2 ranks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.special import i0 as bessel_i0
from scipy.special import i1 as bessel_i1

from solver.plating.electrochem import charge_transfer_resistance
from solver.core.materials import library_material

CASES = Path(__file__).resolve().parents[2] / "cases"
CASE = CASES / "plating" / "wafer_terminal_effect.toml"
LINEAR = ["--set", "cathode.kinetics=linear", "--set", "cathode.exchange_current_density=100 A/m^2",
          "--set", "growth.time=0 s"]


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [1, 2])
def test_terminal_effect_follows_the_bessel_profile(tmp_path, ranks, run_cli, relative):
    """Linear kinetics, constant sheet resistance, electrolyte at uniform potential:
    i(r)/i(a) = I0(r/lambda)/I0(a/lambda), lambda = sqrt(R_p/R_s); here a/lambda = 3.8, a
    strong terminal effect (the centre gets 0.10 of the rim's current). P2 on cells of 1 mm
    down to 0.1 mm at the rim: the profile follows to 1e-6 of i(a) (measured 1.1e-9), the
    mean (the integrated current over the wafer's area) is 2 I1(x)/(x I0(x)) of it to 1e-9
    (measured 1.3e-12)."""
    data = run_cli(CASE, tmp_path / "out", *LINEAR, ranks=ranks)
    a = 0.15
    Rs = library_material("Cu").resistivity / 100e-9
    lam = np.sqrt(charge_transfer_resistance(100.0, 0.5, 0.5, 298.15) / Rs)
    prof = np.loadtxt(tmp_path / "out" / "seed_profile.csv", delimiter=",", skiprows=1)
    r, i = prof[:, 0] * 1e-3, prof[:, 1]
    exact = bessel_i0(r / lam) / bessel_i0(a / lam)
    assert np.abs(i / i[-1] - exact).max() < 1e-6
    x = a / lam
    res = data["results"]
    assert relative(res["mean_current_density_A_per_m2"] / res["edge_current_density_A_per_m2"],
                    2 * bessel_i1(x) / (x * bessel_i0(x))) < 1e-9
    assert res["terminal_effect_number"] == pytest.approx(x * x)


@pytest.mark.slow
def test_growing_deposit_evens_out_the_wafer_and_keeps_faraday(tmp_path, run_cli):
    """Butler-Volmer at -0.25 V on the bare 100 nm seed: the rim takes 2.9x the centre's
    current; as the deposit thickens the sheet resistance falls, the end current is more
    even than the start, and the deposited mass equals M/(nF) times the charge to round-off
    (1e-12)."""
    res = run_cli(CASE, tmp_path / "out")["results"]
    assert res["edge_current_density_A_per_m2"] > 2 * res["centre_current_density_A_per_m2"]
    prof = np.loadtxt(tmp_path / "out" / "seed_profile.csv", delimiter=",", skiprows=1)
    start, end = prof[:, 1], prof[:, 2]
    assert end[0] / end[-1] > start[0] / start[-1]
    assert res["edge_over_centre_thickness"] > 1
    assert res["faraday_balance_rel"] < 1e-12
    assert res["mean_thickness_um"] == pytest.approx(
        res["deposited_mass_mg"] * 1e-6 / library_material("Cu_plated").density / (np.pi * 0.15**2) * 1e6, rel=1e-6)
