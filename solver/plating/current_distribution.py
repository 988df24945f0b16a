"""Primary and secondary current distribution in the electrolyte (P2, 2D plane or
axisymmetric; P1 or P2 in 3D, with CG + GAMG inside Newton for large problems).

    div(kappa grad phi) = 0 in the electrolyte,
    kappa dphi/dn = i(eta) on an electrode (n out of the electrolyte), eta = V - phi - E_eq,
    no current through insulators.

Primary (no kinetics): phi = V - E_eq on the electrodes. Secondary: Butler-Volmer, its
linearisation or Tafel, solved by Newton (PETSc SNES, line search) from the primary
solution. The cathode is at V = 0, the anode at the cell voltage; galvanostatic operation
finds the cell voltage that carries the imposed total current (secant iteration on the
monotone current-voltage curve).

The current through an electrode is the discrete flux of the solution (the residual of the
equations tested with the electrode's indicator), which stays exact to the discretisation
even where the current density is singular (the edge of a disk in an insulating plane).
Its density along the electrode (``current_density``) is the kinetics at the electrode's
nodes where there are kinetics, else the consistent discrete flux
(:mod:`solver.plating.electrode_current`); both include the electrode's ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import ufl
from mpi4py import MPI

from dolfinx import fem

from solver.core.errors import SolveError
from solver.core.linalg import assemble_system, residual_floor, solve_nonlinear_scalar, solve_scalar, solve_spd
from solver.plating.electrochem import KINETICS, Electrode
from solver.plating.electrode_current import ElectrodeCurrent, consistent_flux, electrode_area, nodal_values, sampled


@dataclass
class CellSolution:
    phi: fem.Function
    cell_voltage: float
    current: float  # total cathodic current (A; per metre for a plane model), positive when depositing
    newton_iterations: int = 0
    info: dict = field(default_factory=dict)


class CurrentDistribution:
    def __init__(self, domain, conductivity: float, cathode: Electrode, anode: Electrode, T: float,
                 axisymmetric: bool, length_scale: float, degree: int = 2, linear: str = "direct"):
        self.domain = domain
        self.linear = linear  # direct (MUMPS) | iterative (CG + GAMG)
        self.kappa = conductivity
        self.cathode, self.anode = cathode, anode
        self.T = T
        msh = domain.mesh
        self.V = fem.functionspace(msh, ("Lagrange", degree))
        x = ufl.SpatialCoordinate(msh)
        self.weight = 2 * math.pi * x[0] if axisymmetric else fem.Constant(msh, 1.0)
        self.ds = ufl.Measure("ds", domain=msh, subdomain_data=domain.facet_tags)
        self.dx = ufl.Measure("dx", domain=msh)
        # scaled by 1 / (kappa L): entries of order one next to unit Dirichlet rows
        self.scale = 1.0 / (conductivity * length_scale * (length_scale if axisymmetric else 1.0))
        self.cathode_indicator = self._indicator("cathode")

    def _indicator(self, name: str) -> fem.Function:
        """1 on the electrode's dofs, 0 elsewhere: tests the equations for its current."""
        chi = fem.Function(self.V)
        dofs = fem.locate_dofs_topological(self.V, self.domain.tdim - 1, self.domain.facets(name))
        chi.x.array[dofs] = 1.0
        chi.x.scatter_forward()
        return chi

    def _dirichlet(self, V_cell: float, every_electrode: bool = False) -> list:
        """phi = V - E_eq on the electrodes without kinetics (on all of them for the primary
        start of a secondary solve)."""
        bcs = []
        for name, electrode, V in (("cathode", self.cathode, 0.0), ("anode", self.anode, V_cell)):
            if every_electrode or electrode.kinetics == "none":
                dofs = fem.locate_dofs_topological(self.V, self.domain.tdim - 1, self.domain.facets(name))
                bcs.append(fem.dirichletbc(np.float64(V - electrode.equilibrium_potential), dofs, self.V))
        return bcs

    def _electrode(self, name: str, V_cell: float) -> tuple[Electrode, float]:
        """The electrode ``name`` and its potential (the cathode at 0, the anode at V_cell)."""
        return (self.cathode, 0.0) if name == "cathode" else (self.anode, V_cell)

    def overpotential(self, phi, name: str, V_cell: float):
        """eta = V_electrode - phi - E_eq on the electrode ``name`` (UFL)."""
        electrode, V = self._electrode(name, V_cell)
        return V - phi - electrode.equilibrium_potential

    def kinetic_law(self, phi, name: str, V_cell: float):
        """The electrode's i(eta) (UFL, anodic positive); None without kinetics."""
        electrode, _ = self._electrode(name, V_cell)
        if electrode.kinetics == "none":
            return None
        return KINETICS[electrode.kinetics](self.overpotential(phi, name, V_cell), electrode.exchange_current_density,
                                            electrode.alpha_a, electrode.alpha_c, self.T, exp=ufl.exp)

    def _kinetic_terms(self, phi, w, V_cell: float):
        terms = 0
        for name in ("cathode", "anode"):
            i = self.kinetic_law(phi, name, V_cell)
            if i is not None:
                terms = terms - i * w * self.weight * self.ds(self.domain.boundaries[name])
        return terms

    def solve(self, V_cell: float, name: str, phi: fem.Function | None = None) -> CellSolution:
        """The distribution at cell voltage ``V_cell`` (``phi``: a starting guess)."""
        w = ufl.TestFunction(self.V)
        bcs = self._dirichlet(V_cell)
        primary = self.cathode.kinetics == "none" and self.anode.kinetics == "none"
        out = fem.Function(self.V, name="electrolyte_potential_V")
        info: dict = {}
        if primary or phi is None:
            # the primary distribution: the answer, or Newton's start
            u = ufl.TrialFunction(self.V)
            bcs0 = bcs if primary else self._dirichlet(V_cell, every_electrode=True)
            a = self.scale * self.kappa * ufl.inner(ufl.grad(u), ufl.grad(w)) * self.weight * self.dx
            L = fem.Constant(self.domain.mesh, 0.0) * w * self.dx
            if self.linear == "iterative":
                A, b, _ = assemble_system(fem.form(a), fem.form(L), bcs0)
                rep = solve_spd(A, b, out.x.petsc_vec, method="iterative", rtol=1e-10, max_iterations=2000,
                                name=name + "_primary")
                A.destroy()
                b.destroy()
                info["primary_cg_iterations"] = rep.iterations
            else:
                solve_scalar(fem.form(a), fem.form(L), out, bcs0, name + "_primary")
        else:
            out.x.array[:] = phi.x.array
        its = 0
        if not primary:
            F = self.scale * (self.kappa * ufl.inner(ufl.grad(out), ufl.grad(w)) * self.weight * self.dx
                              + self._kinetic_terms(out, w, V_cell))
            # 1e-11 of the starting bulk term's size (at 3000 A/m^2 on a 1 mm cylinder the
            # floor is 2e-11, above SNES's default absolute tolerance)
            floor = residual_floor(self.scale * self.kappa * ufl.inner(ufl.grad(out), ufl.grad(w)) * self.weight
                                   * self.dx, 1e-11)
            report = solve_nonlinear_scalar(F, out, bcs, name, atol=floor, linear=self.linear)
            its = report.iterations
            info["linear_iterations"] = int(report.options["linear_iterations"])
            info["newton_s"] = report.solve_s
        return CellSolution(out, V_cell, self.cathode_current(out), its, info)

    def cathode_current(self, phi: fem.Function) -> float:
        """Current into the cathode from the discrete flux, positive when it flows from the
        electrolyte into the electrode (deposition)."""
        return self.electrode_current(phi, "cathode")

    def electrode_current(self, phi: fem.Function, name: str) -> float:
        """The current through electrode ``name`` from the discrete flux, positive in
        operation: into the cathode (deposition), out of the anode (dissolution)."""
        chi = self.cathode_indicator if name == "cathode" else self._indicator(name)
        # With kinetics the residual's boundary term is the electrode's current itself, so the
        # volume term equals it at the discrete solution, as it equals the flux without.
        form = self.kappa * ufl.inner(ufl.grad(phi), ufl.grad(chi)) * self.weight * self.dx
        value = self.domain.comm.allreduce(fem.assemble_scalar(fem.form(form)), op=MPI.SUM)
        return -value if name == "cathode" else value

    def current_density(self, sol: CellSolution, name: str = "cathode") -> ElectrodeCurrent:
        """The current density along electrode ``name`` with the sign of
        :meth:`electrode_current`, its ends included: the kinetics at the electrode's nodes
        where there are kinetics (exact for the discrete potential, finite at an edge),
        else the consistent discrete flux at its vertices."""
        sign = -1.0 if name == "cathode" else 1.0
        law = self.kinetic_law(sol.phi, name, sol.cell_voltage)
        if law is not None:
            space, values = self.V, nodal_values(self.V, law)
        else:
            space, values = self.flux(sol.phi, name)
        current = sol.current if name == "cathode" else self.electrode_current(sol.phi, name)
        return sampled(space, self.domain, name, sign * values, current, self.area(name))

    def flux(self, phi: fem.Function, name: str) -> tuple[fem.FunctionSpace, np.ndarray]:
        """The consistent discrete flux kappa dphi/dn (n out of the electrolyte) at the
        electrode's vertices: (P1 space, local nodal array, 0 elsewhere)."""
        return consistent_flux(self.domain, name,
                               lambda v: self.kappa * ufl.inner(ufl.grad(phi), ufl.grad(v)) * self.weight * self.dx,
                               self.weight, self.ds)

    def area(self, name: str) -> float:
        """The electrode's area (m^2; per metre of depth for plane cells)."""
        return electrode_area(self.domain, name, self.weight, self.ds)

    def mean_overpotential(self, phi: fem.Function, name: str, V_cell: float) -> float:
        """The current-weighted overpotential int eta i dA / int i dA of electrode ``name``
        (V; 0 without kinetics). With these, V = dE_eq + eta_a - eta_c + I R_ohm holds with
        R_ohm the Joule dissipation over I^2 (Green's identity), for any distribution."""
        law = self.kinetic_law(phi, name, V_cell)
        if law is None:
            return 0.0
        ds = self.ds(self.domain.boundaries[name])
        eta = self.overpotential(phi, name, V_cell)
        comm = self.domain.comm
        num = comm.allreduce(fem.assemble_scalar(fem.form(eta * law * self.weight * ds)), op=MPI.SUM)
        den = comm.allreduce(fem.assemble_scalar(fem.form(law * self.weight * ds)), op=MPI.SUM)
        return num / den

    def joule_dissipation(self, phi: fem.Function) -> float:
        """int kappa |grad phi|^2 dV (W; per metre of depth for plane cells)."""
        form = self.kappa * ufl.inner(ufl.grad(phi), ufl.grad(phi)) * self.weight * self.dx
        return self.domain.comm.allreduce(fem.assemble_scalar(fem.form(form)), op=MPI.SUM)

    def galvanostatic(self, current: float, name: str, V_guess: float = 0.1, tol: float = 1e-10) -> CellSolution:
        """The cell voltage that carries ``current`` (secant steps on the monotone I(V))."""
        a = self.solve(V_guess, f"{name}_v0")
        b = self.solve(2 * V_guess, f"{name}_v1", a.phi)
        for k in range(60):
            slope = (b.current - a.current) / (b.cell_voltage - a.cell_voltage)
            if slope == 0 or not math.isfinite(slope):
                raise SolveError(f"{name}: galvanostatic iteration stalled (flat current-voltage curve)",
                                 {"cell_voltage_V": b.cell_voltage, "current_A": b.current})
            V = b.cell_voltage + (current - b.current) / slope
            a, b = b, self.solve(V, f"{name}_v{k + 2}", b.phi)
            if abs(b.current - current) <= tol * abs(current):
                b.info["galvanostatic_iterations"] = k + 1
                return b
        raise SolveError(f"{name}: the galvanostatic iteration did not reach the current",
                         {"cell_voltage_V": b.cell_voltage, "current_A": b.current, "target_A": current})
