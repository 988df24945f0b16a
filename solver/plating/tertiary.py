"""Tertiary current distribution with a supporting electrolyte (a binary one further down):
the depositing ion diffuses to the cathode (migration carried by the support), its surface
concentration slows the cathodic kinetics, and the Nernst layer's far side holds the bulk
concentration.

    div(kappa grad phi) = 0,  div(D grad c) = 0 in the electrolyte;
    on the cathode (V = 0): kappa dphi/dn = i, D dc/dn = i / (n F),
        i = i0 [exp(alpha_a f eta) - (c / c_b) exp(-alpha_c f eta)],  eta = -phi - E_eq;
    on the anode side (the edge of the diffusion layer): phi = V - E_eq,a, c = c_b.

Binary electrolyte (``anion`` given): one salt, no support. The cation (valence z+ = n,
diffusivity D+, concentration c, the unknown) and the anion (z- < 0, D-, c- = -z+ c / z-
by electroneutrality) both move by diffusion and migration, Nernst-Einstein mobilities
D / RT (f = F / RT):

    N+ = -D+ (grad c + z+ f c grad phi),   N- = -D- (c-/c) (grad c + z- f c grad phi),
    current  j = F (z+ N+ + z- N-) = -kappa(c) grad phi - F z+ (D+ - D-) grad c,
    kappa(c) = F f z+ c (z+ D+ - z- D-)  (= F^2/RT (z+^2 D+ c+ + z-^2 D- c-)).

Solved: div j = 0 with -j . n = -i on the cathode (the same Butler-Volmer i with c / c_b),
and the anion balance div N- = 0 with N- . n = 0 on the cathode (it does not react); the
layer's edge holds phi = V - E_eq,a and c = c_b. Their sum is the cation balance with
N+ . n = -i / (n F). Both equations are written in amperes (the anion one as F z- N-)
and scaled by the bulk conductivity, as in the supporting case. In 1D the anion is at
rest, so i = n F D+ (1 - z+/z-) (c_b - c_s) / delta = n F D_salt (c_b - c_s) / (delta (1 - t+))
for any current; the discrete solution keeps this to Newton's tolerance with the mean
surface concentration (z- times the cation equation less z+ times the anion one, tested
with the layer's linear hat, leaves only the diffusion term).

Potential and concentration are one monolithic Newton solve (P2 x P2, MUMPS, line
search): a segregated iteration between them diverges near the limiting current. The
cell voltage is reached by continuation from the kinetic regime. Limit: the current
cannot exceed n F D c_b / delta (the Nernst limiting current), or in a binary
electrolyte n F D_salt c_b / (delta (1 - t+)), t+ = z+ D+ / (z+ D+ - z- D-).
"""

from __future__ import annotations

import math

import basix.ufl
import numpy as np
import ufl
from mpi4py import MPI

from dolfinx import fem

from solver.core import interrupt
from solver.core.errors import SolveError
from solver.core.linalg import residual_floor, solve_nonlinear_scalar
from solver.plating.electrochem import FARADAY, f_over_rt


def binary_conductivity(concentration: float, valence: int, diffusivity: float, anion_diffusivity: float,
                        anion_valence: int, T: float) -> float:
    """kappa = F^2/RT (z+^2 D+ c+ + z-^2 D- c-) of an electroneutral binary salt, c the
    cation concentration (S/m; a number or a UFL expression)."""
    mobility_sum = valence * diffusivity - anion_valence * anion_diffusivity
    return FARADAY * f_over_rt(T) * valence * concentration * mobility_sum


def transference_number(valence: int, diffusivity: float, anion_diffusivity: float, anion_valence: int) -> float:
    """t+ = z+ D+ / (z+ D+ - z- D-) of a binary salt."""
    return valence * diffusivity / (valence * diffusivity - anion_valence * anion_diffusivity)


def salt_diffusivity(valence: int, diffusivity: float, anion_diffusivity: float, anion_valence: int) -> float:
    """D_salt = D+ D- (z+ - z-) / (z+ D+ - z- D-) of a binary salt."""
    return diffusivity * anion_diffusivity * (valence - anion_valence) / (valence * diffusivity
                                                                          - anion_valence * anion_diffusivity)


class TertiaryDistribution:
    def __init__(self, domain, conductivity: float | None, diffusivity: float, bulk_concentration: float,
                 valence: int, cathode, anode_equilibrium: float, T: float, axisymmetric: bool, length_scale: float,
                 anion: tuple[float, int] | None = None):
        """``anion = (D-, z-)``: a binary electrolyte (``conductivity`` is then None: it
        follows from the concentration); else a supporting electrolyte of ``conductivity``."""
        self.domain = domain
        msh = domain.mesh
        el = basix.ufl.element("Lagrange", msh.basix_cell(), 2)
        self.W = fem.functionspace(msh, basix.ufl.mixed_element([el, el]))
        self.u = fem.Function(self.W, name="potential_and_concentration")
        self.D, self.cb, self.n, self.anion = diffusivity, bulk_concentration, valence, anion
        if anion is not None:
            conductivity = binary_conductivity(bulk_concentration, valence, diffusivity, *anion, T)
        self.kappa = conductivity  # binary: the bulk's, the scale of the residual
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
        if anion is None:
            self.bulk = scale * (conductivity * ufl.inner(ufl.grad(phi), ufl.grad(w))
                                 + nF * diffusivity * ufl.inner(ufl.grad(c), ufl.grad(q))) * self.weight * self.dx
            self.F = self.bulk - scale * (self.i * w + self.i * q) * self.weight * wall
        else:
            Dm, zm = anion
            kappa_c = binary_conductivity(c, valence, diffusivity, Dm, zm, T)
            minus_j = kappa_c * ufl.grad(phi) + nF * (diffusivity - Dm) * ufl.grad(c)
            j_anion = nF * Dm * (ufl.grad(c) + zm * f * c * ufl.grad(phi))  # F z- N-
            self.bulk = scale * (ufl.inner(minus_j, ufl.grad(w)) + ufl.inner(j_anion, ufl.grad(q))) * self.weight \
                * self.dx
            self.F = self.bulk - scale * self.i * w * self.weight * wall
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

    def residual_floor(self) -> float:
        """1e-9 of the transport terms' size at the present state, ten times the residual's
        round-off floor (measured 1e-10 on the fill's meshes). From a good guess (a warm
        start: 1.9 -> 5e-6 -> 2e-9 in two iterations) the default relative tolerance asks for
        less than the floor, and the line search then fails at it."""
        return residual_floor(self.bulk, 1e-9)

    def warm_start(self, potential: fem.Function, concentration: fem.Function, V_cell: float) -> None:
        """Start from a solution at ``V_cell`` on another mesh of (nearly) the same liquid:
        the last growth step's, interpolated. Newton then needs a few iterations instead of a
        continuation from 0 V."""
        msh = self.domain.mesh
        cells = np.arange(msh.topology.index_map(msh.topology.dim).size_local, dtype=np.int32)
        for sub, old in ((0, potential), (1, concentration)):
            Vs, dofs = self.W.sub(sub).collapse()
            new = fem.Function(Vs)
            data = fem.create_interpolation_data(Vs, old.function_space, cells, padding=1e-10)
            new.interpolate_nonmatching(old, cells, data)
            self.u.x.array[dofs] = new.x.array
        self.u.x.scatter_forward()
        self.V_cell.value = V_cell

    def _set_bcs(self, V_cell: float) -> None:
        for g, _, sub, value in self.bcs:
            g.x.array[:] = (V_cell - self.E_a) if sub == 0 else value

    def solve(self, V_cell: float, name: str, steps: int = 1) -> dict:
        """Reach cell voltage ``V_cell`` in ``steps`` continuation steps from the last state."""
        start = float(self.V_cell.value)
        its = 0
        for k in range(1, steps + 1):
            interrupt.check(self.domain.comm)
            V = start + (V_cell - start) * k / steps
            self._set_bcs(V)
            self.V_cell.value = V
            try:
                report = solve_nonlinear_scalar(self.F, self.u, self._bc_objects, f"{name}_{k}",
                                                atol=self.residual_floor())
            except SolveError as exc:
                raise SolveError(f"{exc} (continuation step {k} of {steps}, cell voltage {V:.4g} V)",
                                 exc.diagnostics) from None
            its += report.iterations
        return {"newton_iterations": its, "current": self.current(), "surface_concentration": self.surface_min(),
                "mean_surface_concentration": self.surface_mean()}

    def current(self) -> float:
        """Deposition current through the cathode (A, or A/m for plane cells), positive."""
        form = fem.form(-self.i * self.weight * self.ds(self.domain.boundaries["cathode"]))
        return self.domain.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    def surface_mean(self) -> float:
        """The cathode's mean concentration (mol/m^3), weighted by its area."""
        _, c = ufl.split(self.u)
        wall = self.ds(self.domain.boundaries["cathode"])
        num = fem.assemble_scalar(fem.form(c * self.weight * wall))
        den = fem.assemble_scalar(fem.form(self.weight * wall))
        return self.domain.comm.allreduce(num, op=MPI.SUM) / self.domain.comm.allreduce(den, op=MPI.SUM)

    def surface_min(self) -> float:
        """The lowest concentration on the cathode (mol/m^3)."""
        Vc, _ = self.W.sub(1).collapse()
        parent, _ = fem.locate_dofs_topological((self.W.sub(1), Vc), self.domain.tdim - 1,
                                                self.domain.facets("cathode"))
        n_owned = self.W.dofmap.index_map.size_local * self.W.dofmap.index_map_bs
        values = self.u.x.array[parent[parent < n_owned]]
        local = float(values.min()) if len(values) else math.inf
        return self.domain.comm.allreduce(local, op=MPI.MIN)

    def transference_number(self) -> float | None:
        """t+ of the binary salt (None with a supporting electrolyte)."""
        return None if self.anion is None else transference_number(self.n, self.D, *self.anion)

    def limiting_current_density(self, delta: float) -> float:
        """n F D c_b / delta, the Nernst limiting current density (A/m^2); in a binary
        electrolyte n F D_salt c_b / (delta (1 - t+)) = n F D+ (1 - z+/z-) c_b / delta."""
        if self.anion is None:
            return self.n * FARADAY * self.D * self.cb / delta
        return self.n * FARADAY * salt_diffusivity(self.n, self.D, *self.anion) * self.cb / (
            delta * (1.0 - self.transference_number()))
