"""Thick-walled vessels of elastic-perfectly plastic metal (Hill, The Mathematical Theory of
Plasticity, 1950, ch. V), through the finite-element problem on curved P2 meshes:
VALIDATION.md "Inelastic materials" 3 (cylinder, plane strain) and 4 (sphere,
axisymmetric). The bore is driven by its radial displacement; the bore pressure is the
consistent reaction of the shell at the bore's nodes along their radial directions, so it
carries no stress-recovery error."""

import numpy as np
import pytest
from mpi4py import MPI

import dolfinx.fem as fem
import dolfinx.fem.petsc as fem_petsc
import ufl

from meshes.core_shell import CoreShell
from solver.core.domain import build_domain
from solver.core.materials import Material
from solver.mechanics.inelastic.model import Elastic
from solver.mechanics.inelastic.plasticity import Hardening, J2Plasticity
from solver.mechanics.inelastic_problem import InelasticProblem, RegionLaw
from solver.mechanics.supports import build_supports

E, NU, S0 = 200e9, 0.3, 250e6
A, B = 1e-3, 2e-3


def vessel(formulation: str, size: float):
    geo = CoreShell(type="core_shell", dimension=2, core_radius=f"{A} m", outer_radius=f"{B} m",
                    sector="quarter", element_size=f"{size} m")
    dom = build_domain(geo, MPI.COMM_WORLD, order=2)
    bore = fem.Constant(dom.mesh, 0.0)
    mat = Material("steel", E, NU, 0.0, (0.0, 1e4), 0.0, 0.0, None, 0.0)
    laws = {"shell": RegionLaw(J2Plasticity(Hardening(S0, 0.0)), mat, 293.15),
            "core": RegionLaw(Elastic(), mat, 293.15)}  # inside the driven bore: it carries nothing to the shell

    def bcs_of(V):
        sym = ["sym_y"] if formulation == "axisymmetric" else ["sym_x", "sym_y"]
        bcs, _ = build_supports(V, dom, formulation, sym, [])
        g = fem.Function(V)
        g.interpolate(lambda X: np.vstack([X[0], X[1]]) / np.hypot(X[0], X[1]) * bore.value)
        dofs = fem.locate_dofs_topological(V, 1, dom.facets(geo.interface_name))
        vessel.g, vessel.dofs = g, dofs
        return bcs + [fem.dirichletbc(g, dofs)]

    prob = InelasticProblem(dom, formulation, 2, laws, bcs_of)
    g, dofs = vessel.g, vessel.dofs
    shell = ufl.Measure("dx", domain=dom.mesh, subdomain_data=dom.cell_tags, metadata=prob.metadata)
    v = ufl.TestFunction(prob.V)
    force = fem.form(ufl.dot(prob.stress, prob.eps(v)) * prob.weight * shell(dom.regions["shell"]))

    def drive(delta: float) -> float:
        """Bore displacement delta -> bore pressure (Pa)."""
        g.interpolate(lambda X: np.vstack([X[0], X[1]]) / np.hypot(X[0], X[1]) * delta)
        prob.solve_step(0.0, 0.0, 293.15, 293.15)
        prob.commit()
        f = fem_petsc.assemble_vector(force)
        f.ghostUpdate(addv=3, mode=1)  # ADD, REVERSE: the owners hold the sums
        arr = f.array.reshape(-1, 2)
        owned = dofs[dofs < prob.V.dofmap.index_map.size_local]
        X = prob.V.tabulate_dof_coordinates()[owned, :2]
        radial = X / np.linalg.norm(X, axis=1)[:, None]
        # the reaction along each node's radial direction: at the corners the symmetry
        # planes' reactions are normal to it and drop out
        total = MPI.COMM_WORLD.allreduce(float(np.einsum("ij,ij->", arr[owned], radial)), op=MPI.SUM)
        f.destroy()
        # the bore's (weighted) area: pi a / 2 for the quarter ring; int a sin(t) a dt = a^2
        # for the quarter meridian of the sphere (2 pi left out)
        lever = np.pi * A / 2 if formulation == "plane_strain" else A**2
        return abs(total) / lever

    return drive


@pytest.mark.slow
def test_thick_cylinder_plane_strain_first_yield_and_limit():
    """VALIDATION 3: a thick cylinder (b/a = 2, plane strain). Elastic (Lame) with sigma_zz
    = nu (sigma_rr + sigma_tt): first yield at the bore at p_y = sigma_0 (1 - a^2/b^2) /
    sqrt(3 + (1 - 2 nu)^2 a^4/b^4); driven far past it, the pressure tends to the limit
    q_L = (2/sqrt 3) sigma_0 ln(b/a) (Hill 1950). P2 on h = a/8: the elastic pressure
    within 1e-4 (measured 9.6e-6: the curved mesh's geometry error); at 16 x the first-yield
    displacement the limit within 1e-3 (measured -8.7e-5) and not above it."""
    drive = vessel("plane_strain", A / 8)
    # first yield: the elastic bore pressure at the displacement Lame gives for p_y
    ratio = A**2 / B**2
    p_y = S0 * (1 - ratio) / np.sqrt(3 + (1 - 2 * NU) ** 2 * ratio**2)
    # Lame: u(a) = p a / E (1 + nu) [(1 - 2 nu) + b^2/a^2] / (b^2/a^2 - 1)
    u_y = p_y * A / E * (1 + NU) * ((1 - 2 * NU) + 1 / ratio) / (1 / ratio - 1)
    assert drive(0.999 * u_y) == pytest.approx(0.999 * p_y, rel=1e-4)
    q_limit = 2 / np.sqrt(3) * S0 * np.log(B / A)
    for factor in (2.0, 4.0, 8.0, 16.0):
        p = drive(factor * u_y)
    assert p <= q_limit * (1 + 1e-4)
    assert p == pytest.approx(q_limit, rel=1e-3)


@pytest.mark.slow
def test_thick_sphere_axisymmetric_first_yield_and_limit():
    """VALIDATION 4: a thick sphere (b/a = 2) as an axisymmetric quarter. First yield at
    the bore at p_y = (2 sigma_0/3)(1 - a^3/b^3); the limit p_L = 2 sigma_0 ln(b/a)
    (Hill 1950, ch. V). h = a/8, P2: elastic within 1e-4 (measured 2.1e-5), the limit at
    16 x the first-yield displacement within 1e-3 (measured +6.0e-5, inside the 1e-4 the
    discretisation may overshoot)."""
    drive = vessel("axisymmetric", A / 8)
    ratio = A**3 / B**3
    p_y = 2 * S0 / 3 * (1 - ratio)
    # Lame sphere: u(a) = p a / E [(1 - 2 nu) + (1 + nu) b^3/(2 a^3)] / (b^3/a^3 - 1)
    u_y = p_y * A / E * ((1 - 2 * NU) + (1 + NU) / (2 * ratio)) / (1 / ratio - 1)
    assert drive(0.999 * u_y) == pytest.approx(0.999 * p_y, rel=1e-4)
    p_limit = 2 * S0 * np.log(B / A)
    for factor in (2.0, 4.0, 8.0, 16.0):
        p = drive(factor * u_y)
    assert p <= p_limit * (1 + 1e-4)
    assert p == pytest.approx(p_limit, rel=1e-3)
