"""Fatigue-life laws for solder joints and bumps (solver/mechanics/fatigue.py), checked
against closed forms worked by hand, their own inverses, exact unit conversions, the
direction physics demands, and the errors bad input must raise. Pure numpy: no solve.

Tolerances: a closed form evaluated by a different floating-point route agrees to a few
ulp; 1e-12 relative leaves room for the pow/log rounding of both routes and nothing more."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solver.mechanics import fatigue
from solver.mechanics.fatigue import (
    DARVEAUX_SETS,
    DarveauxConstants,
    coffin_manson_life,
    darveaux_life,
    engelmaier_exponent,
    engelmaier_life,
    life_under_laws,
    shear_strain_range,
)

REL = 1e-12

# Round constants that make the Darveaux hand calculation exact in decimal:
# N0 = 100 / dW[MPa], da/dN = 1e-3 dW[MPa] mm/cycle.
ROUND_DARVEAUX = DarveauxConstants(K1=100.0, K2=-1.0, K3=1e-3, K4=1.0, energy_unit="MPa", length_unit="mm",
                                   source="round numbers for a hand calculation")


def test_coffin_manson_hand_value():
    """N_f = 1/2 (d_eps / (2 eps_f'))^(1/c). With d_eps = 0.0065, eps_f' = 0.325, c = -0.5:
    d_eps / (2 eps_f') = 0.01, 0.01^(-2) = 1e4, so N_f = 5000 exactly. Tolerance 1e-12: one pow."""
    assert coffin_manson_life(0.0065, 0.325, -0.5) == pytest.approx(5000.0, rel=REL)


@pytest.mark.parametrize("n_f, eps_f, c", [(10.0, 0.325, -0.5), (1234.5, 0.2, -0.6), (1e6, 0.45, -0.42)])
def test_coffin_manson_inverts_the_strain_life_relation(n_f, eps_f, c):
    """Plugging the life back into d_eps = 2 eps_f' (2 N_f)^c returns the strain range it came
    from, so the law is the exact inverse of the Coffin-Manson strain-life line. Expected:
    the chosen N_f itself. Tolerance 1e-12: two pow calls whose rounding 1/c amplifies by
    at most |1/c| < 2.5."""
    d_eps = 2 * eps_f * (2 * n_f) ** c
    assert coffin_manson_life(d_eps, eps_f, c) == pytest.approx(n_f, rel=REL)


def test_coffin_manson_takes_arrays_and_bigger_range_is_shorter_life():
    """One life per joint for an array of ranges, and life falls strictly as the inelastic
    strain range grows (c < 0). Expected: 50 strictly decreasing lives, the array shape
    kept; the first equals the scalar call exactly (same arithmetic, tolerance 0)."""
    ranges = np.linspace(1e-4, 5e-2, 50)
    lives = coffin_manson_life(ranges, 0.325, -0.5)
    assert isinstance(lives, np.ndarray) and lives.shape == ranges.shape
    assert np.all(np.diff(lives) < 0)
    assert lives[0] == coffin_manson_life(float(ranges[0]), 0.325, -0.5)
    assert isinstance(coffin_manson_life(0.01, 0.325, -0.5), float)


def test_engelmaier_exponent_hand_value():
    """c = -0.442 - 6e-4 T_sj[degC] + 1.74e-2 ln(1 + f) (Engelmaier 1983, IPC-SM-785).
    At 298.15 K (25 degC) and f = e - 1 cycles/day, ln(1 + f) = 1:
    c = -0.442 - 0.015 + 0.0174 = -0.4396. At 273.15 K and 1 cycle/day:
    c = -0.442 + 0.0174 ln 2 = -0.42993925... Tolerance 1e-12: the K->degC subtraction and
    one log, a few ulp."""
    assert engelmaier_exponent(298.15, math.e - 1) == pytest.approx(-0.4396, rel=REL)
    assert engelmaier_exponent(273.15, 1.0) == pytest.approx(-0.442 + 0.0174 * math.log(2), rel=REL)


def test_engelmaier_life_hand_value_and_default_coefficient():
    """N_f(50%) = 1/2 (d_gamma / (2 eps_f'))^(1/c) with eps_f' = 0.325 by default. With
    d_gamma = 0.065 (one tenth of 2 eps_f'), 25 degC and ln(1 + f) = 1 (c = -0.4396):
    N = 1/2 x 10^(1/0.4396) = 1/2 x 10^2.2747953 = 94.138066... The same with eps_f' passed
    explicitly. Tolerance 1e-12: a pow with exponent 1/c ~ -2.27."""
    expected = 0.5 * 10 ** (1 / 0.4396)
    assert expected == pytest.approx(94.13806621, rel=1e-9)
    assert engelmaier_life(0.065, 298.15, math.e - 1) == pytest.approx(expected, rel=REL)
    assert engelmaier_life(0.065, 298.15, math.e - 1, ductility_coefficient=0.325) == pytest.approx(expected, rel=REL)


def test_engelmaier_life_inverts_and_follows_the_physics():
    """Inverse: d_gamma = 2 eps_f' (2 N)^c at Engelmaier's c gives back N (expected: the
    chosen 3000 cycles, tolerance 1e-12 for two pows). Direction: a larger shear range, a
    hotter joint, or slower cycling (more creep per cycle) each shorten the life; the check
    is strict inequality along each axis."""
    T, f = 330.0, 24.0
    c = engelmaier_exponent(T, f)
    gamma = 2 * 0.325 * (2 * 3000.0) ** c
    assert engelmaier_life(gamma, T, f) == pytest.approx(3000.0, rel=REL)
    assert np.all(np.diff(engelmaier_life(np.linspace(0.005, 0.05, 20), T, f)) < 0)
    assert np.all(np.diff(engelmaier_life(0.02, np.linspace(220.0, 400.0, 20), f)) < 0)
    assert np.all(np.diff(engelmaier_life(0.02, T, np.linspace(1.0, 1000.0, 20))) > 0)


def test_shear_strain_range_is_the_von_mises_equivalent_of_pure_shear():
    """d_gamma = sqrt(3) d_eps_eq: for an incompressible pure-shear strain with engineering
    shear gamma (eps_12 = eps_21 = gamma / 2) the von Mises equivalent strain
    sqrt(2/3 eps:eps) is gamma / sqrt(3), computed here from the tensor. Expected: 0.012
    back from the tensor; 0.01 maps to 0.017320508075688773. Tolerance 1e-12: a sqrt and a
    sum of squares."""
    gamma = 0.012
    eps = np.zeros((3, 3))
    eps[0, 1] = eps[1, 0] = gamma / 2
    eps_eq = math.sqrt(2 / 3 * np.sum(eps * eps))
    assert shear_strain_range(eps_eq) == pytest.approx(gamma, rel=REL)
    assert shear_strain_range(0.01) == pytest.approx(0.017320508075688773, rel=REL)
    assert shear_strain_range(0.0) == 0.0


def test_darveaux_hand_value():
    """N0 = K1 dW^K2, da/dN = K3 dW^K4, N = N0 + a / (da/dN). With K1 = 100 cycles MPa,
    K2 = -1, K3 = 1e-3 mm/cycle/MPa, K4 = 1, dW = 0.5 MPa = 5e5 Pa, a = 0.5 mm:
    N0 = 200, da/dN = 5e-4 mm/cycle = 5e-7 m/cycle, growth 1000 cycles, N = 1200.
    Tolerance 1e-12: unit scalings and one division."""
    out = darveaux_life(5e5, 0.5e-3, ROUND_DARVEAUX)
    assert out["initiation_cycles"] == pytest.approx(200.0, rel=REL)
    assert out["growth_rate_m_per_cycle"] == pytest.approx(5e-7, rel=REL)
    assert out["life_cycles"] == pytest.approx(1200.0, rel=REL)


def test_darveaux_in_published_units_matches_a_hand_calculation_in_those_units():
    """The psi/in set evaluated by hand in psi and inches: dW = 10 psi, a = 0.01 in gives
    N0 = 22400 x 10^-1.52 = 676.469..., da/dN = 5.86e-7 x 10^0.98 in/cycle, and
    N = N0 + 0.01 / (da/dN) = 2463.378... The function gets the same dW in Pa and a in m
    (1 psi = 6894.757293168361 Pa, 1 in = 0.0254 m, both exact). Tolerance 1e-12: the Pa
    round trip of dW costs an ulp before two pows."""
    k = DARVEAUX_SETS["SnPb_example"]
    n0 = 22400 * 10**-1.52
    rate_in = 5.86e-7 * 10**0.98
    out = darveaux_life(10 * 6894.757293168361, 0.01 * 0.0254, k)
    assert out["initiation_cycles"] == pytest.approx(n0, rel=REL)
    assert out["growth_rate_m_per_cycle"] == pytest.approx(rate_in * 0.0254, rel=REL)
    assert out["life_cycles"] == pytest.approx(n0 + 0.01 / rate_in, rel=REL)
    assert out["life_cycles"] == pytest.approx(2463.378, rel=1e-6)


def test_darveaux_unit_conversion_round_trip():
    """The same constants restated in MPa/mm by hand (K1' = K1 (1e6/6894.757...)^K2,
    K3' = K3 (1e6/6894.757...)^K4 x 25.4) give the same initiation, growth rate and life
    as the psi/in set, for several dW and crack lengths; ``in_units`` reproduces the hand
    conversion and converting back restores the published numbers. Tolerance 1e-12: the
    conversions are exact in real arithmetic, so only rounding remains."""
    psi_in = DARVEAUX_SETS["SnPb_example"]
    s = 1e6 / 6894.757293168361  # psi per MPa
    by_hand = DarveauxConstants(K1=psi_in.K1 * s**psi_in.K2, K2=psi_in.K2, K3=psi_in.K3 * s**psi_in.K4 * 25.4,
                                K4=psi_in.K4, energy_unit="MPa", length_unit="mm", source=psi_in.source)
    converted = psi_in.in_units("MPa", "mm")
    for name in ("K1", "K2", "K3", "K4"):
        assert getattr(converted, name) == pytest.approx(getattr(by_hand, name), rel=REL)
    assert (converted.energy_unit, converted.length_unit, converted.source) == ("MPa", "mm", psi_in.source)
    back = converted.in_units("psi", "in")
    for name in ("K1", "K2", "K3", "K4"):
        assert getattr(back, name) == pytest.approx(getattr(psi_in, name), rel=REL)
    dW = np.array([2e4, 1e5, 6e5, 3e6])
    a = np.array([100e-6, 250e-6, 500e-6, 760e-6])
    reference = darveaux_life(dW, a, psi_in)
    for other in (by_hand, converted, psi_in.in_units("Pa", "m"), psi_in.in_units("kPa", "um")):
        out = darveaux_life(dW, a, other)
        for key in reference:
            np.testing.assert_allclose(out[key], reference[key], rtol=REL, atol=0)


def test_darveaux_more_energy_is_shorter_life_and_longer_crack_is_longer_life():
    """With K2 < 0 and K4 > 0 more dissipated energy per cycle means earlier initiation and
    faster growth: life strictly decreasing in dW. A larger joint (longer crack path) lives
    strictly longer at the same dW. Checked along 30 values each (strict inequalities)."""
    k = DARVEAUX_SETS["SnPb_example"]
    assert np.all(np.diff(darveaux_life(np.geomspace(1e3, 1e7, 30), 300e-6, k)["life_cycles"]) < 0)
    assert np.all(np.diff(darveaux_life(1e5, np.linspace(50e-6, 800e-6, 30), k)["life_cycles"]) > 0)


def test_every_library_set_says_where_it_comes_from():
    """Each DARVEAUX_SETS entry is a DarveauxConstants with a non-empty source; a set whose
    numbers could not be checked against the publication says exactly so."""
    assert DARVEAUX_SETS
    for name, k in DARVEAUX_SETS.items():
        assert isinstance(k, DarveauxConstants), name
        assert k.source.strip(), name
    assert DARVEAUX_SETS["SnPb_example"].source == "example values, unverified"


def test_exact_unit_sizes():
    """1 psi = 0.45359237 kg x 9.80665 m/s^2 / (0.0254 m)^2 = 6894.757293168361 Pa and
    1 in = 0.0254 m, both exact by definition; the tables use them (tolerance 0)."""
    assert fatigue.PA_PER_ENERGY_UNIT["psi"] == 6894.757293168361
    assert fatigue.M_PER_LENGTH_UNIT["in"] == 0.0254
    assert fatigue.PA_PER_ENERGY_UNIT["MPa"] == 1e6 and fatigue.M_PER_LENGTH_UNIT["um"] == 1e-6


def test_life_under_laws_reports_each_law_given_and_only_those():
    """The convenience returns, per law whose constants are given, exactly what the law's own
    function returns for the same joint (Engelmaier in sqrt(3) x the equivalent range), and
    no key for a law without constants. Tolerance 0: the same arithmetic."""
    joint = dict(inelastic_strain_range=0.01, energy_density_Pa=1.5e5, crack_length_m=400e-6,
                 mean_temperature_K=318.15, cycles_per_day=48.0)
    cm = {"ductility_coefficient": 0.35, "ductility_exponent": -0.55}
    k = DARVEAUX_SETS["SnPb_example"]
    lives = life_under_laws(**joint, coffin_manson=cm, engelmaier={}, darveaux=k)
    assert set(lives) == {"coffin_manson", "engelmaier", "darveaux"}
    assert lives["coffin_manson"] == coffin_manson_life(0.01, 0.35, -0.55)
    assert lives["engelmaier"] == engelmaier_life(shear_strain_range(0.01), 318.15, 48.0)
    assert lives["darveaux"] == darveaux_life(1.5e5, 400e-6, k)["life_cycles"]
    assert life_under_laws(**joint) == {}
    only = life_under_laws(inelastic_strain_range=0.01, engelmaier={"ductility_coefficient": 0.3},
                           mean_temperature_K=318.15, cycles_per_day=48.0)
    assert set(only) == {"engelmaier"}
    assert only["engelmaier"] == engelmaier_life(shear_strain_range(0.01), 318.15, 48.0, 0.3)


@pytest.mark.parametrize("call, argument", [
    (lambda: coffin_manson_life(0.0, 0.325, -0.5), "strain_range"),
    (lambda: coffin_manson_life(-0.01, 0.325, -0.5), "strain_range"),
    (lambda: coffin_manson_life([0.01, np.nan], 0.325, -0.5), "strain_range"),
    (lambda: coffin_manson_life(0.01, 0.0, -0.5), "ductility_coefficient"),
    (lambda: coffin_manson_life(0.01, 0.325, 0.0), "ductility_exponent"),
    (lambda: coffin_manson_life(0.01, 0.325, 0.5), "ductility_exponent"),
    (lambda: shear_strain_range(-1e-3), "equivalent_strain_range"),
    (lambda: engelmaier_exponent(0.0, 1.0), "mean_temperature_K"),
    (lambda: engelmaier_exponent(25.0, 1.0), "mean_temperature_K"),  # degC passed as K
    (lambda: engelmaier_exponent(300.0, 0.0), "cycles_per_day"),
    (lambda: engelmaier_life(0.0, 300.0, 1.0), "shear_strain_range"),
    (lambda: engelmaier_life(0.01, 300.0, 1e12), "cycles_per_day"),  # c >= 0 beyond calibration
    (lambda: engelmaier_life(0.01, 300.0, 1.0, ductility_coefficient=-0.3), "ductility_coefficient"),
    (lambda: darveaux_life(0.0, 1e-4, ROUND_DARVEAUX), "energy_density_Pa"),
    (lambda: darveaux_life(1e5, 0.0, ROUND_DARVEAUX), "crack_length_m"),
    (lambda: darveaux_life(1e5, 1e-4, (1, 2, 3, 4)), "constants"),
    (lambda: DarveauxConstants(1.0, -1.0, 1e-3, 1.0, "J", "mm", "s"), "energy_unit"),
    (lambda: DarveauxConstants(1.0, -1.0, 1e-3, 1.0, "MPa", "ft", "s"), "length_unit"),
    (lambda: DarveauxConstants(0.0, -1.0, 1e-3, 1.0, "MPa", "mm", "s"), "K1"),
    (lambda: DarveauxConstants(1.0, math.inf, 1e-3, 1.0, "MPa", "mm", "s"), "K2"),
    (lambda: DarveauxConstants(1.0, -1.0, -1e-3, 1.0, "MPa", "mm", "s"), "K3"),
    (lambda: DarveauxConstants(1.0, -1.0, 1e-3, math.nan, "MPa", "mm", "s"), "K4"),
    (lambda: DarveauxConstants(1.0, -1.0, 1e-3, 1.0, "MPa", "mm", " "), "source"),
    (lambda: ROUND_DARVEAUX.in_units("bar", "mm"), "energy_unit"),
    (lambda: life_under_laws(coffin_manson={"ductility_coefficient": 0.3, "ductility_exponent": -0.5}),
     "inelastic_strain_range"),
    (lambda: life_under_laws(0.01, coffin_manson={"ductility_coefficient": 0.3}), "coffin_manson"),
    (lambda: life_under_laws(0.01, engelmaier={"eps_f": 0.3}, mean_temperature_K=300.0, cycles_per_day=1.0),
     "engelmaier"),
    (lambda: life_under_laws(0.01, engelmaier={}, cycles_per_day=1.0), "mean_temperature_K"),
    (lambda: life_under_laws(darveaux=ROUND_DARVEAUX, crack_length_m=1e-4), "energy_density_Pa"),
])
def test_bad_input_names_the_argument(call, argument):
    """Each invalid input raises ValueError whose message names the offending argument
    (and, in the function's words, the rule it broke)."""
    with pytest.raises(ValueError, match=argument):
        call()
