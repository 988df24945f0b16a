"""Current distribution (VALIDATION.md electroplating 1-3, 6): Newman's disk, concentric
cylinders (primary and with linear kinetics), parallel plates with Butler-Volmer, Faraday's
growth rates; 1 and 2 ranks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from solver.plating.electrochem import (
    butler_volmer,
    charge_transfer_resistance,
    deposition_rate,
    overpotential_for,
)
from solver.core.materials import library_material

CASES = Path(__file__).resolve().parents[2] / "cases"
PLATING = CASES / "plating"


def test_newman_disk_resistance_and_distribution(tmp_path, run_cli, relative):
    """Primary distribution on a disk of radius r0 in an insulating plane, counter electrode
    a hemisphere at R = 50 r0. Resistance: Newman's 1/(4 kappa r0) less the part beyond R,
    1/(2 pi kappa R) (a point source seen from afar); what remains is O((r0/R)^2) and the
    discretisation: measured -7.6e-4, tolerance 2e-3; all of it ohmic (no kinetics). The
    distribution (the consistent discrete flux at the cathode's vertices, centre and rim
    included) i/i_avg = 0.5 / sqrt(1 - (r/r0)^2) away from the singular edge (r <= 0.9 r0):
    measured within 0.21 %, tolerance 1 %. It is positive everywhere and largest at the
    rim (finite there, growing with refinement: the true one is infinite)."""
    data = run_cli(PLATING / "newman_disk.toml", tmp_path / "out")
    kappa, r0, R = 5.0, 1e-3, 50e-3
    res = data["results"]
    exact = 1 / (4 * kappa * r0) - 1 / (2 * math.pi * kappa * R)
    assert relative(res["resistance_ohm"], exact) < 2e-3
    assert res["ohmic_resistance_ohm"] == pytest.approx(res["resistance_ohm"], rel=1e-12)
    samples = np.loadtxt(tmp_path / "out" / "cathode_current.csv", delimiter=",", skiprows=1)
    r = samples[:, 0] * 1e-6
    assert r[0] == pytest.approx(0.0, abs=1e-12) and r[-1] == pytest.approx(r0, rel=1e-9)
    inner = r <= 0.9 * r0
    ratio = samples[inner, 2] / res["mean_current_density_A_per_m2"]
    assert np.abs(ratio / (0.5 / np.sqrt(1 - (r[inner] / r0) ** 2)) - 1).max() < 1e-2
    assert samples[:, 2].min() > 0  # the CSV holds 10 digits
    assert res["max_current_density_A_per_m2"] == pytest.approx(samples[-1, 2], rel=1e-9)
    assert res["min_current_density_A_per_m2"] == pytest.approx(samples[0, 2], rel=1e-9)


@pytest.mark.slow
def test_concentric_cylinders_primary_and_linear_kinetics(tmp_path, run_cli, relative):
    """Primary: i(r_i) = kappa V / (r_i ln(r_o/r_i)); linear kinetics on both electrodes:
    I' = 2 pi V / (R_ct,i/r_i + ln(r_o/r_i)/kappa + R_ct,o/r_o), of which the ohmic part
    (V less the current-weighted overpotentials) is ln(r_o/r_i)/kappa and the overpotentials
    are I' R_ct / (2 pi r). The arcs are quadratic (P2 geometry), so the mean current density
    follows to 1e-4 (measured 1e-5), and the distribution is uniform to 1e-4 (the consistent
    flux at the vertices: measured 2.6e-5; the kinetics at the nodes: measured 1e-7)."""
    kappa, V, ri, ro = 5.0, 1.0, 1e-3, 5e-3
    quarter = math.pi / 2  # the model is a quarter of the annulus
    primary = run_cli(PLATING / "concentric_cylinders.toml", tmp_path / "primary")["results"]
    assert relative(primary["mean_current_density_A_per_m2"], kappa * V / (ri * math.log(ro / ri))) < 1e-4
    assert primary["uniformity"] < 1e-4
    assert relative(primary["ohmic_resistance_ohm_m"], math.log(ro / ri) / (kappa * quarter)) < 1e-4
    linear = run_cli(PLATING / "concentric_cylinders.toml", tmp_path / "linear", "--set", "cathode.kinetics=linear",
                     "--set", "cathode.exchange_current_density=10 A/m^2", "--set", "anode.kinetics=linear", "--set",
                     "anode.exchange_current_density=10 A/m^2")["results"]
    Rct = charge_transfer_resistance(10.0, 0.5, 0.5, 298.15)
    current = 2 * math.pi * V / (Rct / ri + math.log(ro / ri) / kappa + Rct / ro)
    assert relative(linear["mean_current_density_A_per_m2"], current / (2 * math.pi * ri)) < 1e-4
    assert linear["wagner_number"] == pytest.approx(kappa * Rct / ri)
    assert linear["uniformity"] < 1e-4
    assert relative(linear["ohmic_resistance_ohm_m"], math.log(ro / ri) / (kappa * quarter)) < 1e-4
    assert relative(linear["cathode_overpotential_V"], -current * Rct / (2 * math.pi * ri)) < 1e-4
    assert relative(linear["anode_overpotential_V"], current * Rct / (2 * math.pi * ro)) < 1e-4
    assert relative(linear["resistance_ohm_m"], V / (current / 4)) < 1e-4


@pytest.mark.slow
def test_parallel_plates_with_butler_volmer(tmp_path, run_cli):
    """A uniform current whose overpotentials and ohmic drop add up to the cell voltage:
    V = dE_eq + eta_a - eta_c + i L / kappa (the overpotentials from inverting each
    electrode's Butler-Volmer curve at i). Newton converges to 1e-10; the sum holds to 1e-8."""
    data = run_cli(PLATING / "parallel_plates_bv.toml", tmp_path / "out")
    res = data["results"]
    i = res["mean_current_density_A_per_m2"]
    assert res["uniformity"] < 1e-10
    eta_c = overpotential_for(-i, "butler_volmer", 10.0, 0.5, 0.5, 298.15)
    eta_a = overpotential_for(i, "butler_volmer", 100.0, 0.6, 0.4, 298.15)
    assert butler_volmer(eta_c, 10.0, 0.5, 0.5, 298.15) == pytest.approx(-i, rel=1e-10)
    V = 0.05 + eta_a - eta_c + i * 1e-3 / 5.0
    assert V == pytest.approx(0.5, abs=1e-8)
    assert data["solver"]["newton_iterations"] >= 1
    # the summary's split of the same sum: overpotentials and the ohmic part gap / (kappa width)
    assert res["cathode_overpotential_V"] == pytest.approx(eta_c, abs=1e-8)
    assert res["anode_overpotential_V"] == pytest.approx(eta_a, abs=1e-8)
    assert res["ohmic_resistance_ohm_m"] == pytest.approx(1e-3 / (5.0 * 5e-3), rel=1e-8)
    assert res["resistance_ohm_m"] == pytest.approx(0.5 / res["current_A_per_m"], rel=1e-12)


@pytest.mark.slow
def test_two_ranks_agree(tmp_path, run_cli):
    """Newton and the flux on 2 ranks equal 1 rank's to the direct solver's round-off."""
    one = run_cli(PLATING / "parallel_plates_bv.toml", tmp_path / "one")["results"]
    two = run_cli(PLATING / "parallel_plates_bv.toml", tmp_path / "two", ranks=2)["results"]
    for k, v in one.items():
        assert two[k] == pytest.approx(v, rel=1e-8, abs=1e-12), k
    a = run_cli(PLATING / "newman_disk.toml", tmp_path / "n1")["results"]
    b = run_cli(PLATING / "newman_disk.toml", tmp_path / "n2", ranks=2)["results"]
    assert b["resistance_ohm"] == pytest.approx(a["resistance_ohm"], rel=1e-8)


@pytest.mark.slow
def test_galvanostatic_finds_the_cell_voltage(tmp_path, run_cli):
    """An imposed total current on the disk: the secant iteration finds the voltage whose
    current it is (to 1e-10); the primary cell is linear, so V = I R with R of the
    potentiostatic run (1e-8)."""
    pot = run_cli(PLATING / "newman_disk.toml", tmp_path / "pot")["results"]
    case = tmp_path / "galv.toml"
    case.write_text((PLATING / "newman_disk.toml").read_text().replace('cell_voltage = "1 V"', 'current = "5 mA"'))
    galv = run_cli(case, tmp_path / "galv")
    assert galv["results"]["current_A"] == pytest.approx(5e-3, rel=1e-9)
    assert galv["results"]["cell_voltage_V"] == pytest.approx(5e-3 * pot["resistance_ohm"], rel=1e-8)


def test_faraday_growth_rates():
    """v = eps i M / (n F rho) at 1 A/dm^2: Cu 13.23, Ni 12.29, Au(I) 38.08 um/h from the
    materials library, Sn 30.48 um/h for beta-tin (7265 kg/m^3); to the 4 digits quoted."""
    um_per_h = 1e6 * 3600
    for name, expected in (("Cu", 13.23), ("Ni", 12.29), ("Au", 38.08)):
        m = library_material(name)
        assert deposition_rate(100.0, m.molar_mass, m.density, m.valence) * um_per_h == pytest.approx(expected,
                                                                                                        abs=6e-3)
    assert deposition_rate(100.0, 0.11871, 7265.0, 2) * um_per_h == pytest.approx(30.48, abs=6e-3)
    assert deposition_rate(100.0, 0.063546, 8960.0, 2, efficiency=0.5) * um_per_h == pytest.approx(13.23 / 2, abs=3e-3)


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [1, 2])
def test_nernst_layer_tertiary_distribution(tmp_path, ranks, run_cli):
    """Tertiary distribution between plates (supporting electrolyte), one monolithic Newton
    solve for potential and concentration. In 1D the concentration falls linearly across the
    layer, so i = n F D (c_b - c_s) / delta exactly, and at the cathode the Butler-Volmer law
    with the surface concentration and eta = -(V - i L / kappa) must give the same i (P2
    holds the linear profiles exactly: measured 6e-13 and 2e-13, tolerance 1e-9, Newton's).
    Driven at 0.5 V the current is within 0.2 % of the Nernst limiting current
    n F D c_b / delta."""
    from solver.plating.electrochem import FARADAY, f_over_rt

    data = run_cli(PLATING / "nernst_limiting_current.toml", tmp_path / "out", ranks=ranks)
    res = data["results"]
    i, cs = res["mean_current_density_A_per_m2"], res["min_surface_concentration_mol_per_m3"]
    n, D, cb, delta, kappa, V = 2, 1e-9, 100.0, 100e-6, 5.0, 0.5
    assert res["limiting_current_density_A_per_m2"] == pytest.approx(n * FARADAY * D * cb / delta, rel=1e-12)
    assert i == pytest.approx(n * FARADAY * D * (cb - cs) / delta, rel=1e-9)
    eta = -(V - i * delta / kappa)
    f = f_over_rt(298.15)
    kinetic = -10.0 * (math.exp(0.5 * f * eta) - cs / cb * math.exp(-0.5 * f * eta))
    assert kinetic == pytest.approx(i, rel=1e-9)
    assert 0.998 < res["current_over_limiting"] < 1.0
    # the overpotential (surface and concentration) and the ohmic part delta / (kappa width)
    assert res["cathode_overpotential_V"] == pytest.approx(eta, rel=1e-9)
    assert res["ohmic_resistance_ohm_m"] == pytest.approx(delta / (kappa * 300e-6), rel=1e-9)
    assert res["uniformity"] < 1e-9


@pytest.mark.slow
def test_fill_start_values_are_one_surface(tmp_path, run_cli, relative):
    """The fill's start mean, min and max describe one distribution, the deposition current
    density on the starting wall: on the growing cylinder (linear kinetics, uniform) the
    mean is the wall's current over the wall's area and lies between min and max (it was
    the current over the cell's footprint, 5x smaller), and all three equal
    V / (R_ct + r ln(r_o/r) / kappa) (the polygon of 20 um chords: measured 8.7e-5,
    tolerance 5e-4). The footprint's value stays, under its own name."""
    res = run_cli(PLATING / "growing_cylinder.toml", tmp_path / "out", "--set", "growth.time=1 s")["results"]
    mean, low, high = (res[f"start_{k}_current_density_A_per_m2"] for k in ("mean", "min", "max"))
    assert low <= mean <= high
    r, ro, kappa = 1e-3, 5e-3, 5.0
    exact = 1.0 / (charge_transfer_resistance(2570.0, 0.5, 0.5, 298.15) + r * math.log(ro / r) / kappa)
    for value in (mean, low, high):
        assert relative(value, exact) < 5e-4
    # the quarter annulus: the current per metre over a quarter of the outer perimeter
    assert relative(res["start_current_over_footprint_A_per_m2"], mean * r / ro) < 1e-3
