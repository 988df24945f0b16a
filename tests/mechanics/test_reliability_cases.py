"""The reliability case kind end to end (case file -> files), against closed forms:
VALIDATION.md "Inelastic materials" 2 (a film on a rigid substrate through a thermal
cycle) in plane strain and 3D (an axisymmetric disk cannot be held at its rim by the
supports a case offers; the axisymmetric path is checked by the film on a wafer)."""

import csv

import numpy as np
import pytest

FILM = "reliability/validation/film_thermal_cycle.toml"
D_ALPHA, E, NU, S0 = 14.4e-6, 117e9, 0.34, 200e6


def read_csv(path) -> dict[str, np.ndarray]:
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def flinn(temperatures_degC: np.ndarray) -> np.ndarray:
    """Biaxial film stress on a rigid substrate, elastic-perfectly plastic: each step adds
    -M d_alpha dT and the von Mises stress of the equal biaxial state (|sigma|) is capped
    at sigma_0. Exact at every step of a piecewise-linear history."""
    M = E / (1 - NU)
    s = [0.0]
    for a, b in zip(temperatures_degC[:-1], temperatures_degC[1:]):
        s.append(float(np.clip(s[-1] - M * D_ALPHA * (b - a), -S0, S0)))
    return np.array(s)


FORMULATIONS = {
    "plane_strain": ((), ("stress_xx_MPa", "stress_zz_MPa")),
    "3d": (("geometry.dimension=3", "geometry.width=\"100 um\"", "model.formulation=\"3d\"",
            "supports.symmetry=[\"left\", \"right\", \"front\", \"back\", \"bottom\"]",
            "output.probe.point=[\"50 um\", \"50 um\", \"0.5 um\"]"), ("stress_xx_MPa", "stress_yy_MPa")),
}


@pytest.mark.slow
@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_film_on_rigid_substrate_thermal_cycle(formulation, cases, tmp_path, run_case):
    """VALIDATION 2 through a reliability case: 0 -> 300 -> -100 -> 300 degC, 5 K steps.
    The in-plane stresses follow -M d_alpha dT until they plateau at -sigma_0 (hot) and
    +sigma_0 (cold) (Flinn 1987), the through-thickness stress is zero. The radial return
    is exact for this piecewise-linear history: 1e-8 sigma_0 (Newton's tolerance; the CSV
    carries 12 digits)."""
    overrides, components = FORMULATIONS[formulation]
    run_case(cases / FILM, tmp_path, *overrides)
    h = read_csv(tmp_path / "hysteresis.csv")
    exact = flinn(h["temperature_degC"])
    for c in components:
        assert np.abs(1e6 * h[c] - exact).max() <= 1e-8 * S0
    normal = "stress_zz_MPa" if formulation == "3d" else "stress_yy_MPa"
    assert np.abs(1e6 * h[normal]).max() <= 1e-8 * S0
    assert exact.min() == -S0 and exact.max() == S0  # both plateaus were reached
