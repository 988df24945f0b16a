"""Inelastic materials through the finite-element problem (solver.mechanics.inelastic_problem):
the closed forms of VALIDATION.md "Inelastic materials" on a mesh, with the state at
quadrature points, Newton with the consistent tangent and the step commit. The boxes are
loaded by prescribed faces so the fields are homogeneous and the closed forms exact; the
same tests run on 2 ranks (make test), where they must meet the same tolerances."""

import numpy as np
import pytest
from mpi4py import MPI
from scipy.integrate import quad

import dolfinx
import dolfinx.fem as fem
import ufl

from solver.core.domain import Domain
from solver.core.materials import Material
from solver.mechanics.inelastic.plasticity import Hardening, J2Plasticity
from solver.mechanics.inelastic.solder import Garofalo
from solver.mechanics.inelastic.viscoelastic import Prony
from solver.mechanics.inelastic_problem import InelasticProblem, RegionLaw
from solver.mechanics.shift import ShiftFunction

L = 1e-3
FACES = {"x0": (0, 0.0), "y0": (1, 0.0), "z0": (2, 0.0), "x1": (0, L), "y1": (1, L), "z1": (2, L)}
SERIAL_AND_MPI = [pytest.param(1, id="serial"), pytest.param(2, id="mpi", marks=pytest.mark.mpi)]


def box(n=2) -> Domain:
    msh = dolfinx.mesh.create_box(MPI.COMM_WORLD, [[0, 0, 0], [L, L, L]], [n, n, n],
                                  dolfinx.mesh.CellType.tetrahedron)
    tdim = 3
    imap = msh.topology.index_map(tdim)
    ncell = imap.size_local + imap.num_ghosts
    cells = dolfinx.mesh.meshtags(msh, tdim, np.arange(ncell, dtype=np.int32), np.ones(ncell, dtype=np.int32))
    found = [(dolfinx.mesh.locate_entities_boundary(msh, 2, lambda x, a=a, c=c: np.isclose(x[a], c)), k + 1)
             for k, (a, c) in enumerate(FACES.values())]
    facets = np.concatenate([f for f, _ in found])
    tags = np.concatenate([np.full(len(f), k, dtype=np.int32) for f, k in found])
    order = np.argsort(facets)
    ft = dolfinx.mesh.meshtags(msh, 2, facets[order].astype(np.int32), tags[order])
    return Domain(msh, cells, ft, {"box": 1}, {name: k + 1 for k, name in enumerate(FACES)})


def material(E, nu, cte=0.0):
    return Material("test", E, nu, cte, (0.0, 1e4), 0.0, 0.0, None, 0.0)


def problem(domain, model, E, nu, fixed: dict, cte=0.0, load_of=None):
    """``fixed``: face -> value (a fem.Constant) of the displacement normal to it."""

    def bcs_of(V):
        out = []
        for face, value in fixed.items():
            axis = FACES[face][0]
            dofs = fem.locate_dofs_topological(V.sub(axis), 2, domain.facets(face))
            out.append(fem.dirichletbc(value, dofs, V.sub(axis)))
        return out

    law = RegionLaw(model, material(E, nu, cte), 293.15)
    return InelasticProblem(domain, "3d", 1, {"box": law}, bcs_of, load_of=load_of)


def homogeneous_stress(prob) -> np.ndarray:
    """The stress of the committed step, checked homogeneous (one value on every rank) to
    1e-8 of its largest component: Newton stops at 1e-9 of the element forces, so the
    iterate's non-uniformity is of that order and rounding moves it by as much."""
    s = prob.points["box"]["trial_stress"]
    local = (s.min(axis=0), s.max(axis=0)) if len(s) else (np.full(6, np.inf), np.full(6, -np.inf))
    parts = prob.domain.comm.allgather(local)
    lo = np.min([p[0] for p in parts], axis=0)
    hi = np.max([p[1] for p in parts], axis=0)
    assert np.all(hi - lo <= 1e-8 * max(np.abs(hi).max(), 1.0))
    return hi


@pytest.mark.parametrize("ranks", SERIAL_AND_MPI)
def test_uniaxial_j2_box(ranks):
    """VALIDATION 1 on a 3D mesh: a box pulled along x (faces x0, y0, z0 on rollers, x1
    displaced), load to 3 eps_y, reverse to -3 eps_y, unload. Loading: sigma = sigma_0 +
    E_t (eps - sigma_0/E); reverse yield at -(sigma_0 + H p_max); lateral stresses 0.
    Exact for the radial return and a homogeneous field: 1e-8 sigma_0 (Newton stops at
    1e-9 of the element forces). Newton: 1 iteration elastic, <= 3 plastic."""
    E, nu, s0, H = 120e9, 0.34, 100e6, 2e9
    dom = box()
    pull = fem.Constant(dom.mesh, 0.0)
    zero = fem.Constant(dom.mesh, 0.0)
    prob = problem(dom, J2Plasticity(Hardening(s0, H)), E, nu, {"x0": zero, "y0": zero, "z0": zero, "x1": pull})
    ey = s0 / E
    path = np.concatenate([np.linspace(0, 3 * ey, 7), np.linspace(3 * ey, -3 * ey, 13)[1:],
                           np.linspace(-3 * ey, 0, 7)[1:]])
    Et = E * H / (E + H)
    p_max = 2 * ey * E / (E + H)
    for k in range(1, len(path)):
        pull.value = path[k] * L
        rep = prob.solve_step(k - 1.0, float(k), 293.15, 293.15)
        prob.commit()
        s = homogeneous_stress(prob)
        assert np.abs(s[1:]).max() <= 1e-8 * s0
        assert rep.iterations <= 3
        eps = path[k]
        if k <= 6 and eps >= ey:
            assert s[0] == pytest.approx(s0 + Et * (eps - ey), abs=1e-8 * s0)
        s_max = s0 + H * p_max
        eps_rev = path[6] - 2 * s_max / E  # reverse yield at -(sigma_0 + H p_max)
        if 6 < k <= 18 and eps >= eps_rev:
            assert s[0] == pytest.approx(s_max - E * (path[6] - eps), abs=1e-8 * s0)  # elastic unload
        if 6 < k <= 18 and eps < eps_rev:
            assert s[0] == pytest.approx(-s_max + Et * (eps - eps_rev), abs=1e-8 * s0)  # reverse hardening


@pytest.mark.parametrize("ranks", SERIAL_AND_MPI)
def test_prony_ramp_hold_box(ranks):
    """VALIDATION 7 on a 3D mesh: uniaxial strain (every face on rollers, x1 moved) ramped
    at r = 1e-4 1/s to t1 = 10 s, then held to 1000 s. sigma_xx = K eps + 4/3 [G_inf eps +
    sum G_i r tau_i exp(-(t - t_m)/tau_i)(1 - exp(-t_m/tau_i))]. The recursive update is
    exact for piecewise-linear strain: 1e-9 relative (Newton's tolerance on the residual;
    one iteration per step, the problem is linear)."""
    E0, nu = 3e9, 0.35
    terms = ((0.2, 1e-2), (0.2, 1.0), (0.2, 1e2), (0.2, 1e4))
    dom = box()
    pull = fem.Constant(dom.mesh, 0.0)
    zero = fem.Constant(dom.mesh, 0.0)
    prob = problem(dom, Prony(shear=terms), E0, nu, {f: zero for f in ("x0", "y0", "z0", "y1", "z1")} | {"x1": pull})
    G0, K0 = E0 / (2 * (1 + nu)), E0 / (3 * (1 - 2 * nu))
    r, t1 = 1e-4, 10.0
    times = np.concatenate([np.linspace(0, t1, 6), t1 + np.logspace(-1, 3, 9)])
    for a, b in zip(times[:-1], times[1:]):
        pull.value = r * min(b, t1) * L
        rep = prob.solve_step(a, b, 293.15, 293.15)
        prob.commit()
        assert rep.iterations <= 1  # linear: one iteration, none once the strain is held
        tm = min(b, t1)
        exact = K0 * r * tm + 4 / 3 * G0 * (0.2 * r * tm + sum(
            g * r * tau * np.exp(-(b - tm) / tau) * -np.expm1(-tm / tau) for g, tau in terms))
        assert homogeneous_stress(prob)[0] == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize("ranks", SERIAL_AND_MPI)
def test_time_temperature_superposition_box(ranks):
    """VALIDATION 8 on a 3D mesh: a step strain eps0 (uniaxial strain), then the temperature
    ramped from 100 to 200 degC across T_ref = 150 degC (Arrhenius below, WLF above) over
    600 s in 12 steps. sigma_xx = (K + 4/3 G(xi)) eps0 with xi = integral dt/a_T, here from
    scipy's quad (an independent integration). Exact with an exact xi increment: 1e-9."""
    E0, nu, eps0 = 3e9, 0.35, 1e-3
    terms = ((0.3, 1.0), (0.3, 100.0), (0.3, 1e4))
    shift = ShiftFunction(T_ref=423.15, wlf_C1=17.4, wlf_C2=51.6, arrhenius_activation_J_per_mol=250e3)
    dom = box()
    pull = fem.Constant(dom.mesh, 0.0)
    zero = fem.Constant(dom.mesh, 0.0)
    model = Prony(shear=terms, shift=shift)
    prob = problem(dom, model, E0, nu, {f: zero for f in ("x0", "y0", "z0", "y1", "z1")} | {"x1": pull})
    pull.value = eps0 * L
    T_a, T_b, span = 373.15, 473.15, 600.0
    prob.solve_step(0.0, 0.0, T_a, T_a)
    prob.commit()
    times = np.linspace(0, span, 13)
    G0, K0 = E0 / (2 * (1 + nu)), E0 / (3 * (1 - 2 * nu))
    for a, b in zip(times[:-1], times[1:]):
        Ta, Tb = T_a + (T_b - T_a) * a / span, T_a + (T_b - T_a) * b / span
        prob.solve_step(a, b, Ta, Tb)
        prob.commit()
        xi = quad(lambda t: 1.0 / shift.aT(T_a + (T_b - T_a) * t / span), 0, b, epsabs=0, epsrel=1e-13,
                  limit=200, points=[span * (423.15 - T_a) / (T_b - T_a)])[0]
        G = G0 * (0.1 + sum(g * np.exp(-xi / tau) for g, tau in terms))
        assert homogeneous_stress(prob)[0] == pytest.approx((K0 + 4 / 3 * G) * eps0, rel=1e-9)


@pytest.mark.parametrize("ranks", SERIAL_AND_MPI)
def test_garofalo_creep_box(ranks):
    """VALIDATION 6 on a 3D mesh: a box under a constant 20 MPa traction on x1 (rollers on
    x0, y0, z0) at 398 K creeps at eps_dot = C1 sinh(C2 sigma)^C3 exp(-Q/RT): the axial
    inelastic strain after 1 h is that rate x 3600 s. Backward Euler at constant stress is
    exact; 1e-8 relative (Newton's residual tolerance passed through the stiff law)."""
    model = Garofalo(C1=277984.0, C2=0.02447e-6, C3=6.41, activation_energy=54200.0)
    E, nu, sigma = 40e9, 0.35, 20e6
    dom = box()
    zero = fem.Constant(dom.mesh, 0.0)
    traction = fem.Constant(dom.mesh, 0.0)
    ds = ufl.Measure("ds", domain=dom.mesh, subdomain_data=dom.facet_tags)

    def load_of(V, v, weight):
        return traction * v[0] * ds(dom.boundaries["x1"])

    prob = problem(dom, model, E, nu, {"x0": zero, "y0": zero, "z0": zero}, load_of=load_of)
    traction.value = sigma
    prob.solve_step(0.0, 0.0, 398.0, 398.0)
    prob.commit()
    times = np.linspace(0, 3600.0, 7)
    for a, b in zip(times[:-1], times[1:]):
        prob.solve_step(a, b, 398.0, 398.0)
        prob.commit()
    s = homogeneous_stress(prob)
    assert s[0] == pytest.approx(sigma, rel=1e-8)
    creep = prob.points["box"]["state"][:, 0]
    expected = model.creep_rate(sigma, 398.0) * 3600.0
    assert np.allclose(creep, expected, rtol=1e-8, atol=0)
