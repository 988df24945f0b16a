"""Tertiary current distribution with a supporting electrolyte: the depositing ion diffuses
to the cathode (migration carried by the support), its surface concentration slows the
cathodic kinetics, and the Nernst layer's far side holds the bulk concentration.

    div(kappa grad phi) = 0,  div(D grad c) = 0 in the electrolyte;
    on the cathode (V = 0): kappa dphi/dn = i, D dc/dn = i / (n F),
        i = i0 [exp(alpha_a f eta) - (c / c_b) exp(-alpha_c f eta)],  eta = -phi - E_eq;
    on the anode side (the edge of the diffusion layer): phi = V - E_eq,a, c = c_b.

Potential and concentration are one monolithic Newton solve (P2 x P2, MUMPS, line
search): a segregated iteration between them diverges near the limiting current. The
cell voltage is reached by continuation from the kinetic regime. Limit: the current
cannot exceed n F D c_b / delta (the Nernst limiting current).
"""

from __future__ import annotations

import math

import basix.ufl
import numpy as np
import ufl
from mpi4py import MPI

from dolfinx import fem

from .electrochem import FARADAY, f_over_rt
from .linalg import SolveError, solve_nonlinear_scalar


class TertiaryDistribution:
    def __init__(self, domain, conductivity: float, diffusivity: float, bulk_concentration: float, valence: int,
                 cathode, anode_equilibrium: float, T: float, axisymmetric: bool, length_scale: float):
        self.domain = domain
        msh = domain.mesh
        el = basix.ufl.element("Lagrange", msh.basix_cell(), 2)
        self.W = fem.functionspace(msh, basix.ufl.mixed_element([el, el]))
        self.u = fem.Function(self.W, name="potential_and_concentration")
        self.kappa, self.D, self.cb, self.n = conductivity, diffusivity, bulk_concentration, valence
        self.cathode, self.E_a, self.T = cathode, anode_equilibrium, T
        x = ufl.SpatialCoordinate(msh)
        self.weight = 2 * math.pi * x[0] if axisymmetric else fem.Constant(msh, 1.0)
        self.ds = ufl.Measure("ds", domain=msh, subdomain_data=domain.facet_tags)
        self.dx = ufl.Measure("dx", domain=msh)
        self.L = length_scale
        self.V_cell = fem.Constant(msh, 0.0)
        phi, c = ufl.split(self.u)
        w, q = ufl.TestFunctions(self.W)
        f = f_over_rt(T)
        k = cathode
        eta = -phi - k.equilibrium_potential
        self.i = k.exchange_current_density * (ufl.exp(k.alpha_a * f * eta)
                                               - c / self.cb * ufl.exp(-k.alpha_c * f * eta))
        wall = self.ds(domain.boundaries["cathode"])
        nF = valence * FARADAY
        # both equations in amperes (the species one times n F), scaled by 1 / (kappa L)
        scale = 1.0 / (conductivity * length_scale * (length_scale if axisymmetric else 1.0))
        self.F = scale * ((conductivity * ufl.inner(ufl.grad(phi), ufl.grad(w))
                           + nF * diffusivity * ufl.inner(ufl.grad(c), ufl.grad(q))) * self.weight * self.dx
                          - (self.i * w + self.i * q) * self.weight * wall)
        facets = domain.facets("anode")
        self.bcs = []
        for sub, value in ((0, None), (1, bulk_concentration)):
            Vs, _ = self.W.sub(sub).collapse()
            dofs = fem.locate_dofs_topological((self.W.sub(sub), Vs), domain.tdim - 1, facets)
            g = fem.Function(Vs)
            self.bcs.append((g, dofs, sub, value))
        self._bc_objects = [fem.dirichletbc(g, dofs, self.W.sub(sub)) for g, dofs, sub, _ in self.bcs]
        # start: no current, the bulk everywhere
        self.u.sub(1).interpolate(lambda x: np.full(x.shape[1], bulk_concentration))
        self.u.x.scatter_forward()

    def _set_bcs(self, V_cell: float) -> None:
        for g, _, sub, value in self.bcs:
            g.x.array[:] = (V_cell - self.E_a) if sub == 0 else value

    def solve(self, V_cell: float, name: str, steps: int = 1) -> dict:
        """Reach cell voltage ``V_cell`` in ``steps`` continuation steps from the last state."""
        start = float(self.V_cell.value)
        its = 0
        for k in range(1, steps + 1):
            V = start + (V_cell - start) * k / steps
            self._set_bcs(V)
            self.V_cell.value = V
            try:
                report = solve_nonlinear_scalar(self.F, self.u, self._bc_objects, f"{name}_{k}")
            except SolveError as exc:
                raise SolveError(f"{exc} (continuation step {k} of {steps}, cell voltage {V:.4g} V)",
                                 exc.diagnostics) from None
            its += report.iterations
        return {"newton_iterations": its, "current": self.current(), "surface_concentration": self.surface_min()}

    def current(self) -> float:
        """Deposition current through the cathode (A, or A/m for plane cells), positive."""
        form = fem.form(-self.i * self.weight * self.ds(self.domain.boundaries["cathode"]))
        return self.domain.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    def surface_min(self) -> float:
        """The lowest concentration on the cathode (mol/m^3)."""
        Vc, _ = self.W.sub(1).collapse()
        parent, _ = fem.locate_dofs_topological((self.W.sub(1), Vc), self.domain.tdim - 1,
                                                self.domain.facets("cathode"))
        n_owned = self.W.dofmap.index_map.size_local * self.W.dofmap.index_map_bs
        values = self.u.x.array[parent[parent < n_owned]]
        local = float(values.min()) if len(values) else math.inf
        return self.domain.comm.allreduce(local, op=MPI.MIN)

    def limiting_current_density(self, delta: float) -> float:
        """n F D c_b / delta, the Nernst limiting current density (A/m^2)."""
        return self.n * FARADAY * self.D * self.cb / delta
