"""The closed forms themselves, checked against independent derivations before the FE
results are compared with them."""

from __future__ import annotations

import numpy as np
import pytest

from solver.mechanics import analytic


@pytest.mark.parametrize("m, n", [(1.0, 1.0), (0.2, 3.0), (5.0, 0.1), (50.0, 1.8)])
def test_timoshenko_equals_laminate_equilibrium(m, n):
    t2 = 1e-3
    E2 = 100e9
    k = analytic.timoshenko_curvature(n * E2, E2, m * t2, t2, 3e-6, 17e-6, -100.0)
    e0, k_lam, _ = analytic.laminate_bending([n * E2, E2], [m * t2, t2], [3e-6, 17e-6], -100.0)
    assert k == pytest.approx(k_lam, rel=1e-12)
    assert k < 0  # the more-expanding top layer shrinks more on cooling: concave top


def test_stoney_is_the_thin_film_limit_of_timoshenko():
    Ms, Mf, hs = 180e9, 170e9, 500e-6
    ratios = [analytic.timoshenko_curvature(Ms, Mf, hs, hf, 2.6e-6, 17e-6, -100)
              / analytic.stoney_curvature(Ms, hs, Mf, hf, 2.6e-6, 17e-6, -100) for hf in (1e-5, 1e-6, 1e-7)]
    devs = [abs(1 - r) for r in ratios]
    assert devs[0] > devs[1] > devs[2] and devs[2] < 1e-3
    # First-order behaviour: the deviation shrinks tenfold per decade of h_f/h_s.
    assert devs[0] / devs[1] == pytest.approx(10, rel=0.1)


def test_stoney_film_stress_inverts_stoney_curvature():
    k = analytic.stoney_curvature(180e9, 500e-6, 170e9, 1e-6, 2.6e-6, 17e-6, -100)
    s = analytic.stoney_film_stress(180e9, 500e-6, 1e-6, k)
    assert s == pytest.approx(analytic.stoney_mismatch_stress(170e9, 2.6e-6, 17e-6, -100), rel=1e-12)


def _lame_by_continuity(E1, nu1, a1, E2, nu2, a2, a, b, dT):
    """Plane strain: core u = C r; tube u = A r + B / r; solve radial stress continuity,
    displacement continuity and a free outer surface for (C, A, B)."""
    def coeffs(E, nu):
        lam, mu = E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))
        return lam, mu, (3 * lam + 2 * mu)
    l1, m1, k1 = coeffs(E1, nu1)
    l2, m2, k2 = coeffs(E2, nu2)
    # sigma_rr = (2 lam + 2 mu) A - 2 mu B / r^2 - (3 lam + 2 mu) alpha dT (plane strain)
    M = np.array([
        [a, -a, -1 / a],                                                   # u continuity
        [2 * (l1 + m1), -2 * (l2 + m2), 2 * m2 / a**2],                    # sigma_rr continuity
        [0, 2 * (l2 + m2), -2 * m2 / b**2],                                # sigma_rr(b) = 0
    ])
    rhs = np.array([0, (k1 * a1 - k2 * a2) * dT, k2 * a2 * dT])
    C, A, B = np.linalg.solve(M, rhs)
    return -(2 * (l1 + m1) * C - k1 * a1 * dT)


def test_lame_formula_matches_continuity_solution():
    args = (117e9, 0.34, 16.5e-6, 130e9, 0.28, 2.6e-6, 1e-3, 2e-3, -100.0)
    assert analytic.lame_cylinder_pressure(*args) == pytest.approx(_lame_by_continuity(*args), rel=1e-12)


def _sphere_by_continuity(E1, nu1, a1, E2, nu2, a2, a, b, dT):
    """Core u = C r; shell u = A r + B / r^2; sigma_rr = 3K A - 4 mu B / r^3 - 3K alpha dT."""
    K1 = E1 / (3 * (1 - 2 * nu1))  # the core is under uniform pressure: no shear modulus enters
    K2, mu2 = E2 / (3 * (1 - 2 * nu2)), E2 / (2 * (1 + nu2))
    M = np.array([
        [a, -a, -1 / a**2],
        [3 * K1, -3 * K2, 4 * mu2 / a**3],
        [0, 3 * K2, -4 * mu2 / b**3],
    ])
    rhs = np.array([0, 3 * (K1 * a1 - K2 * a2) * dT, 3 * K2 * a2 * dT])
    C, A, B = np.linalg.solve(M, rhs)
    return -(3 * K1 * C - 3 * K1 * a1 * dT)


def test_sphere_formula_matches_continuity_solution():
    args = (50e9, 0.40, 22e-6, 3e9, 0.35, 60e-6, 0.5e-3, 1.5e-3, -100.0)
    assert analytic.sphere_shell_pressure(*args) == pytest.approx(_sphere_by_continuity(*args), rel=1e-12)


def test_lame_mean_hoop_by_quadrature():
    p, a, b = 1.0, 1.0, 2.0
    r = np.linspace(a, b, 200001)
    hoop = p * a**2 / (b**2 - a**2) * (1 + b**2 / r**2)
    mean = np.trapezoid(hoop * r, r) / np.trapezoid(r, r)
    assert analytic.lame_tube_mean_hoop(p, a, b) == pytest.approx(mean, rel=1e-9)
