"""Newman's secondary current distribution on a disk electrode in an insulating plane with
linear kinetics (J. Newman, J. Electrochem. Soc. 113, 1235, 1966): the series
(solver.plating.analytic) against its own limits and the Legendre functions it is built
on, then the plating cell against the series at J = 0.1, 1 and 10, centre to rim with the
rim included, on 1 and 2 ranks; the ohmic resistance against the Joule dissipation.

The paper's tables were not available to check against; the series is checked instead by
its ingredients (M'_2n(0) by integrating the Legendre equation), its two limits (J -> 0:
the first-order correction from the potential of a uniformly loaded disk; J -> infinity:
the primary distribution and resistance) and convergence in the number of terms."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from solver.plating.analytic import (
    newman_m_prime,
    newman_secondary_disk,
    primary_disk_distribution,
    uniform_disk_potential,
)
from solver.plating.electrochem import charge_transfer_resistance

CASE = Path(__file__).resolve().parents[2] / "cases" / "plating" / "newman_disk_secondary.toml"
KAPPA, R0, FAR, T = 5.0, 1e-3, 50e-3, 298.15
V_CELL = 0.01


# -- the series ------------------------------------------------------------------------------

def test_series_derivatives_are_those_of_the_legendre_functions():
    """M'_2n(0) = -(2/pi) [(2n)!!/(2n-1)!!]^2 against the decaying solution of
    d/dxi[(1 + xi^2) dM/dxi] = 2n(2n+1) M integrated from xi = 1e4 (where M ~ xi^-(2n+1),
    the next term 1e-8 smaller) to 0, normalised to M(0) = 1: measured 8e-13 (n = 0,
    the arctan's), <= 2e-14 for n = 1..5; tolerance 1e-9 (the start's truncation)."""
    for n in range(6):
        k, X = 2 * n, 1e4

        def rhs(x, y, k=k):
            return [y[1] / (1 + x * x), k * (k + 1) * y[0]]

        start = [X ** -(k + 1), -(1 + X * X) * (k + 1) * X ** -(k + 2)]
        sol = solve_ivp(rhs, [X, 0.0], start, method="DOP853", rtol=1e-12, atol=1e-300)
        assert sol.y[1, -1] / sol.y[0, -1] == pytest.approx(newman_m_prime(n), rel=1e-9), n
    assert newman_m_prime(0) == pytest.approx(-2 / math.pi, rel=1e-15)


@pytest.mark.slow
def test_series_converges_in_its_terms():
    """The truncation error is largest at the rim (where the surface potential has its
    weak singularity) and falls as terms^-2: at J = 10 the rim's i/i_avg changes by 3.4e-5
    from 200 to 400 terms and 8.5e-6 from 400 to 800 (measured), so the default 400 terms
    carry about 1e-5 (tolerance 2e-5); the centre and the resistance converge faster."""
    coarse, default, fine = (newman_secondary_disk(10.0, n) for n in (200, 400, 800))
    ends = np.array([0.0, 1.0])
    assert np.abs(default.distribution(ends) / fine.distribution(ends) - 1).max() < 2e-5
    assert abs(coarse.distribution(ends)[1] / fine.distribution(ends)[1] - 1) > 1e-5  # it does converge
    assert default.resistance == pytest.approx(fine.resistance, rel=1e-9)


def test_series_small_j_is_the_uniformly_loaded_disk():
    """As J -> 0 the current evens out, and to first order i/i_avg = 1 - J (phi_u - <phi_u>)
    with phi_u = (2/pi) E(r/r0) the potential of a uniformly loaded disk (area mean
    8/(3 pi)): the remainder is O(J^2), measured 0.043 J^2 at J = 1e-3 (tolerance 0.1 J^2).
    The ohmic resistance tends to the uniform-current value 8/(3 pi^2 kappa r0)
    (measured 2.3e-5 at J = 1e-3, tolerance 1e-4) and V/I to R_ct/(pi r0^2) plus it."""
    J = 1e-3
    s = newman_secondary_disk(J)
    rho = np.linspace(0.0, 1.0, 41)
    first_order = 1 - J * (uniform_disk_potential(rho) - 8 / (3 * math.pi))
    assert np.abs(s.distribution(rho) - first_order).max() < 0.1 * J**2
    assert s.ohmic_resistance == pytest.approx(8 / (3 * math.pi**2), rel=1e-4)
    assert s.resistance == pytest.approx(1 / (math.pi * J) + 8 / (3 * math.pi**2), rel=1e-6)
    # the uniformly loaded disk's potential: 1 at the centre, 2/pi at the rim, mean 8/(3 pi)
    r = np.linspace(0.0, 1.0, 2001)
    mean = np.trapezoid(uniform_disk_potential(r) * 2 * r, r)
    assert uniform_disk_potential(np.array([0.0, 1.0])) == pytest.approx([1.0, 2 / math.pi], rel=1e-12)
    assert mean == pytest.approx(8 / (3 * math.pi), rel=1e-5)


@pytest.mark.slow
def test_series_large_j_is_the_primary_distribution():
    """As J -> infinity the distribution approaches the primary 0.5/sqrt(1 - (r/r0)^2)
    away from the rim (r <= 0.9 r0): 1.2 % off at J = 1e3, 0.31 % at J = 1e4 (800 terms;
    measured), falling; V/I and the ohmic part tend to 1/(4 kappa r0) (3.7e-4 and 3.2e-5
    above it at J = 1e4). Tolerances: 0.5 % and 5e-4."""
    rho = np.linspace(0.0, 0.9, 19)
    off = []
    for J in (1e3, 1e4):
        s = newman_secondary_disk(J, 800)
        off.append(np.abs(s.distribution(rho) / primary_disk_distribution(rho) - 1).max())
    assert off[1] < 0.005 and off[1] < off[0] / 2
    assert s.resistance == pytest.approx(0.25, rel=5e-4)
    assert s.ohmic_resistance == pytest.approx(0.25, rel=5e-4)
    assert s.mean_current_density < 4 / (math.pi * 1e4) * 1.01  # i_avg R_ct/V = 4 B0/(pi J), B0 -> 1


def test_series_is_the_linear_system_it_solves():
    """The boundary condition in the mean: the current from the kinetics, 2 pi r0^2 times
    int (V - Phi)/R_ct r dr, equals the flux form 4 kappa r0 V B0 (only P_0 carries
    current); and J = 1 spreads i/i_avg from 0.8826 at the centre to 1.1932 at the rim."""
    s = newman_secondary_disk(1.0)
    r = np.linspace(0.0, 1.0, 20001)
    kinetic = np.trapezoid(s.current_density(r) * 2 * r, r)  # i R_ct/V averaged over the area
    assert kinetic == pytest.approx(s.mean_current_density, rel=1e-7)
    assert s.distribution(np.array([0.0, 1.0])) == pytest.approx([0.88259, 1.19321], abs=1e-5)
    with pytest.raises(ValueError):
        newman_secondary_disk(0.0)


# -- the plating cell against the series ----------------------------------------------------------

# i0 for J = (alpha_a + alpha_c) F i0 r0 / (R T kappa) = 0.1, 1, 10 at kappa = 5 S/m, r0 = 1 mm
EXCHANGE = {0.1: 12.8463, 1.0: 128.463, 10.0: 1284.63}
# i/i_avg at every cathode node, rim included. Measured on the case's mesh (0.05 mm):
# 1.5e-5, 1.5e-4, 1.5e-3; over element sizes 0.2 .. 0.00625 mm at J = 10 the largest
# stays 0.5-2.6e-3, at the nodes of the rim's cells: the potential's derivative is
# singular there (rho log rho) and the builder grades abruptly to h/20 at the rim.
DISTRIBUTION_TOL = {0.1: 1e-4, 1.0: 1e-3, 10.0: 5e-3}


@pytest.mark.slow
@pytest.mark.parametrize("J", [0.1, 1.0, 10.0])
def test_newman_secondary_disk_centre_to_rim(tmp_path, J, run_cli, relative):
    """The cathode's current density at its nodes (centre and rim included) over the
    summary's area-weighted mean against the series' i/i_avg (tolerances above); the
    summary's uniformity (max - min)/(2 mean) against the series' (measured 2.4e-4, 3.3e-4,
    1.2e-3 relative; tolerance 3e-3: the rim's error over a spread of 0.008 at J = 0.1);
    min and max in A/m^2 against the series' at the current the cell carries; V/I and the
    ohmic part against the series' less the part beyond the counter electrode,
    1/(2 pi kappa R) (measured <= 4e-5 and 7e-5, falling as h; tolerance 5e-4). On 2 ranks
    every number and sample equals the serial one to 1e-8 (the direct solver's round-off)."""
    i0 = EXCHANGE[J]
    Rct = charge_transfer_resistance(i0, 0.5, 0.5, T)
    j_exact = R0 / (KAPPA * Rct)
    assert j_exact == pytest.approx(J, rel=1e-5)
    series = newman_secondary_disk(j_exact)
    beyond = 1 / (2 * math.pi * KAPPA * FAR)
    R_cell = series.resistance / (KAPPA * R0) - beyond
    R_ohmic = series.ohmic_resistance / (KAPPA * R0) - beyond
    mean_exact = V_CELL / R_cell / (math.pi * R0**2)
    ends = series.distribution(np.array([0.0, 1.0]))
    runs = {}
    for ranks in (1, 2):
        out = tmp_path / f"r{ranks}"
        res = run_cli(CASE, out, "--set", f"cathode.exchange_current_density={i0} A/m^2", ranks=ranks)["results"]
        samples = np.loadtxt(out / "cathode_current.csv", delimiter=",", skiprows=1)
        rho = samples[:, 0] * 1e-6 / R0
        assert rho[0] == pytest.approx(0.0, abs=1e-9) and rho[-1] == pytest.approx(1.0, rel=1e-9)
        ratio = samples[:, 2] / res["mean_current_density_A_per_m2"]
        assert np.abs(ratio / series.distribution(rho) - 1).max() < DISTRIBUTION_TOL[J]
        assert relative(res["uniformity"], (ends[1] - ends[0]) / 2) < 3e-3
        assert relative(res["min_current_density_A_per_m2"], ends[0] * mean_exact) < DISTRIBUTION_TOL[J]
        assert relative(res["max_current_density_A_per_m2"], ends[1] * mean_exact) < DISTRIBUTION_TOL[J]
        assert relative(res["resistance_ohm"], R_cell) < 5e-4
        assert relative(res["ohmic_resistance_ohm"], R_ohmic) < 5e-4
        assert res["wagner_number"] == pytest.approx(1 / j_exact, rel=1e-12)  # Wa = kappa R_ct / r0 = 1/J
        runs[ranks] = res, samples
    (one, s1), (two, s2) = runs[1], runs[2]
    for key, value in one.items():
        assert two[key] == pytest.approx(value, rel=1e-8, abs=1e-14), key
    assert s2.shape == s1.shape and np.allclose(s2, s1, rtol=1e-8, atol=1e-9)


def test_ohmic_resistance_is_the_joule_dissipation_and_the_flux_carries_the_current():
    """V = eta_a - eta_c + I R_ohm with current-weighted overpotentials makes R_ohm the Joule
    dissipation int kappa |grad phi|^2 dV over I^2 (Green's identity; exact for the discrete
    solution, the kinetic term being the residual's boundary term): measured 2e-13 on a
    coarse disk (0.1 mm) at J = 1; tolerance 1e-9 (Newton's). The consistent discrete flux
    (P1 hats, lumped mass; what primary cells report) describes the same current as the
    kinetics at the nodes: its values times their weights sum to the current to round-off
    (tolerance 1e-10), and at r <= 0.9 r0 the two agree to 0.25 % (measured; the lumped
    mass averages over a node's cells, O(h^2); tolerance 1 %)."""
    import dolfinx.la
    import ufl
    from dolfinx import fem
    from mpi4py import MPI

    from solver import load_case
    from solver.core.domain import build_domain
    from solver.plating.current_distribution import CurrentDistribution
    from solver.plating.electrode_current import sampled

    comm = MPI.COMM_WORLD
    case = load_case(CASE, ["geometry.element_size=0.1 mm"])
    domain = build_domain(case.geometry, comm, order=2)
    dist = CurrentDistribution(domain, KAPPA, case.cathode.electrode(), case.anode.electrode(), T, True, R0)
    sol = dist.solve(V_CELL, "joule")
    eta = dist.mean_overpotential(sol.phi, "cathode", V_CELL)
    assert eta < 0  # plating: the cathode's overpotential is negative
    ohmic = (V_CELL + eta) / sol.current
    assert dist.joule_dissipation(sol.phi) / sol.current**2 == pytest.approx(ohmic, rel=1e-9)

    V1, q = dist.flux(sol.phi, "cathode")
    weights = fem.assemble_vector(fem.form(ufl.TestFunction(V1) * dist.weight * dist.ds(domain.boundaries["cathode"])))
    weights.scatter_reverse(dolfinx.la.InsertMode.add)
    owned = V1.dofmap.index_map.size_local
    total = comm.allreduce(float(-(q[:owned] * weights.array[:owned]).sum()), op=MPI.SUM)
    assert total == pytest.approx(sol.current, rel=1e-10)

    kinetic = dist.current_density(sol).samples
    flux = sampled(V1, domain, "cathode", -q, sol.current, dist.area("cathode")).samples
    if comm.rank == 0:
        at = np.searchsorted(kinetic[:, 0], flux[:, 0])  # the vertices are among the P2 nodes
        assert np.allclose(kinetic[at, 0], flux[:, 0], rtol=0, atol=1e-12)
        inner = flux[:, 0] <= 0.9 * R0
        assert np.abs(flux[inner, 2] / kinetic[at[inner], 2] - 1).max() < 1e-2
