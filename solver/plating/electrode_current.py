"""The current density along an electrode, at every degree of freedom on it (its ends
included), and the statistics an engineer reads off it.

Two ways to get it, chosen by the electrode's boundary condition:

- **Kinetics at the electrode** (``nodal_values``): where the boundary condition is a
  kinetic law i(eta) (Robin type), the current density at a node is that law at the
  solved potential (and concentration) there. It is finite and right at an electrode's
  edge whenever the true one is (Newman's secondary disk), where a gradient evaluated in
  the edge's cell is not.
- **Consistent discrete flux** (``consistent_flux``): where the potential is imposed
  (primary), the flux is what the discrete equations say crosses the electrode: the
  residual of the weak form tested with a vertex's P1 hat psi_i (a combination of the P2
  test functions), R_i = int kappa grad(phi) . grad(psi_i) w dx = int q psi_i w ds, with
  the boundary mass lumped: q_i = R_i / int psi_i w ds, at the electrode's vertices. Its
  weighted sum is the electrode's current to round-off; it stays positive and monotone up
  to a singular edge (the primary disk's rim, where the true value is infinite and the
  sampled one grows with refinement).

Statistics (``ElectrodeCurrent``): the area-weighted mean is the electrode's current over
its area (the integral of the same distribution), min and max are over the nodes, and
uniformity is (max - min) / (2 mean) with that mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

import dolfinx.fem.petsc  # noqa: F401  (fem.petsc)
from dolfinx import fem

from solver.plating.electrochem import uniformity


@dataclass
class ElectrodeCurrent:
    """``samples``: (x, y, current density) at the electrode's nodes, gathered on rank 0 and
    ordered along x then y (empty on other ranks); ``minimum``, ``maximum`` (over the nodes,
    the same on every rank) and ``mean`` (the current over the area) in A/m^2."""

    samples: np.ndarray
    minimum: float
    maximum: float
    mean: float

    @property
    def uniformity(self) -> float:
        """(max - min) / (2 mean), mean area-weighted: 0 for an even distribution."""
        return uniformity(np.array([self.minimum, self.maximum]), self.mean)


def electrode_dofs(V: fem.FunctionSpace, domain, name: str) -> np.ndarray:
    """Local dofs of ``V`` on the electrode's facets (vertices and edge nodes, both ends
    included), owned and ghost; with ``remote`` lookup a dof is found on every rank that
    holds it even where the facet itself lives on another rank."""
    return fem.locate_dofs_topological(V, domain.tdim - 1, domain.facets(name), remote=True)


def nodal_values(V: fem.FunctionSpace, expression) -> np.ndarray:
    """A UFL expression (the kinetics at the electrode) at every node of ``V`` (local array)."""
    f = fem.Function(V)
    f.interpolate(fem.Expression(expression, V.element.interpolation_points))
    return f.x.array.copy()


def consistent_flux(domain, name: str, residual, weight, ds) -> tuple[fem.FunctionSpace, np.ndarray]:
    """The flux on the electrode's vertices: q_i = residual(psi_i) / int psi_i w ds with
    psi_i the P1 hat of vertex i (a combination of the P2 basis, so the residual is the
    discrete equations' own) and ``residual`` the weak form's volume term as a function of
    the test function (its sign is the flux's). Returns the P1 space and the local nodal
    array (0 off the electrode). sum_i q_i int psi_i w ds is the electrode's current.

    The boundary mass is lumped: with the consistent one the flux oscillates from node to
    node near a singular edge (negative values next to the rim of a primary disk), and P2
    row sums vanish on the axis of an axisymmetric cell (int psi r ds = 0 for the axis
    vertex's quadratic)."""
    V1, flux, mass = flux_and_mass(domain, name, residual, weight, ds)
    dofs = electrode_dofs(V1, domain, name)
    owned = dofs[dofs < V1.dofmap.index_map.size_local]
    q = fem.Function(V1)
    q.x.array[owned] = flux[owned] / mass[owned]
    q.x.scatter_forward()
    return V1, q.x.array.copy()


def flux_and_mass(domain, name: str, residual, weight, ds) -> tuple[fem.FunctionSpace, np.ndarray, np.ndarray]:
    """On the P1 hats psi_i: residual(psi_i) and int psi_i w ds over the electrode, as
    local arrays of the P1 space (owned entries complete)."""
    V1 = fem.functionspace(domain.mesh, ("Lagrange", 1))
    v = ufl.TestFunction(V1)
    values = []
    for form in (residual(v), v * weight * ds(domain.boundaries[name])):
        vec = fem.petsc.assemble_vector(fem.form(form))
        vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        values.append(vec.array.copy())
        vec.destroy()
    return V1, values[0], values[1]


def electrode_area(domain, name: str, weight, ds) -> float:
    """int w ds over the electrode: its area (m^2; per metre of depth for plane cells)."""
    local = fem.assemble_scalar(fem.form(weight * ds(domain.boundaries[name])))
    return domain.comm.allreduce(local, op=MPI.SUM)


def sampled(V: fem.FunctionSpace, domain, name: str, values: np.ndarray, current: float,
            area: float) -> ElectrodeCurrent:
    """The statistics of ``values`` (a local nodal array of ``V``) on the electrode ``name``
    whose current is ``current`` (A, or A/m for plane cells) over ``area``."""
    comm = domain.comm
    dofs = electrode_dofs(V, domain, name)
    dofs = dofs[dofs < V.dofmap.index_map.size_local]  # owned: each node once
    rows = np.column_stack([V.tabulate_dof_coordinates()[dofs, :2], values[dofs]])
    low = comm.allreduce(float(rows[:, 2].min()) if len(rows) else math.inf, op=MPI.MIN)
    high = comm.allreduce(float(rows[:, 2].max()) if len(rows) else -math.inf, op=MPI.MAX)
    gathered = comm.gather(rows, root=0)
    samples = np.zeros((0, 3))
    if comm.rank == 0:
        samples = np.concatenate(gathered)
        samples = samples[np.lexsort((samples[:, 1], samples[:, 0]))]
    return ElectrodeCurrent(samples, low, high, current / area)
