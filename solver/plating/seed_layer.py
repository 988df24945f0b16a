"""The terminal effect: a thin seed film fed at the wafer's rim, plated against an
electrolyte at uniform potential (the limit where the seed's sheet resistance, not the
electrolyte, sets the distribution; VALIDATION.md electroplating 4).

Along the radius (axisymmetric, P2), the film's potential V obeys

    div(grad V / R_s) = i(eta),  eta = V - phi_e - E_eq,  V = V_contact at the rim,

with i(eta) the electrode kinetics (anodic positive) and R_s = rho / (seed thickness +
deposit) the sheet resistance, which falls as the deposit grows (Faraday's law, explicit
steps). With linear kinetics and a constant R_s the current follows I0(r / lambda) /
I0(a / lambda), lambda = sqrt(R_p / R_s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import ufl
from mpi4py import MPI

import dolfinx.fem.petsc as fem_petsc
from dolfinx import fem

from solver.core import interrupt
from solver.core.linalg import solve_nonlinear_scalar
from solver.plating.electrochem import Electrode, KINETICS, deposition_rate


@dataclass
class SeedHistory:
    r: np.ndarray  # dof radii (owned), m
    current_density: list[np.ndarray]  # deposition current density per step (A/m^2, > 0 plating)
    thickness: np.ndarray  # deposit at the end (m)
    times: list[float]
    charge: float  # C passed (deposition) over the wafer
    deposited_volume: float  # m^3 from the thickness map
    newton: list[int]
    total_current: list[float]  # A deposited over the wafer, per step


def seed_growth(domain, electrode: Electrode, eta_contact: float, seed_thickness: float, resistivity: float,
                deposit, efficiency: float, T: float, duration: float, steps: int, name: str) -> SeedHistory:
    """Solve the distribution, grow the deposit ``steps`` times over ``duration`` (none if
    0), re-solving with the thinner sheet resistance each step."""
    msh = domain.mesh
    V = fem.functionspace(msh, ("Lagrange", 2))
    r = ufl.SpatialCoordinate(msh)[0]
    dx = ufl.Measure("dx", domain=msh)
    v, w = fem.Function(V, name="seed_potential_V"), ufl.TestFunction(V)
    h = fem.Function(V, name="deposit_thickness_m")  # deposit thickness at the dofs
    contact = fem.locate_dofs_topological(V, 0, domain.facets("contact"))
    # potentials relative to the electrolyte: V - phi_e; the contact holds eta_contact + E_eq
    bc = fem.dirichletbc(np.float64(eta_contact + electrode.equilibrium_potential), contact, V)
    v.x.array[:] = eta_contact + electrode.equilibrium_potential
    kin = KINETICS[electrode.kinetics]

    def i_of(field):
        eta = field - electrode.equilibrium_potential
        return kin(eta, electrode.exchange_current_density, electrode.alpha_a, electrode.alpha_c, T, exp=ufl.exp)

    Rs = resistivity / (seed_thickness + h)
    # times the bare seed's R_s: the sheet term's entries of order r, next to unit Dirichlet rows
    F = resistivity / seed_thickness * (ufl.inner(ufl.grad(v), ufl.grad(w)) / Rs + i_of(v) * w) * r * dx
    n_owned = V.dofmap.index_map.size_local
    radii = V.tabulate_dof_coordinates()[:n_owned, 0]
    comm = msh.comm
    currents, times, newton, totals = [], [], [], []
    charge = 0.0
    dt = duration / steps if duration > 0 else 0.0
    i_expr = fem.Expression(-i_of(v), V.element.interpolation_points)
    i_dep = fem.Function(V)
    total = fem.form(2 * math.pi * i_dep * r * dx)
    # The residual's round-off floor is set by its size for the fully cathodic film: a
    # tolerance 1e-9 of that (SNES's absolute floor would otherwise be unreachable; the round-off
    # floor measured 1.5e-10 of it).
    res = fem_petsc.assemble_vector(fem.form(F))
    floor = 1e-9 * max(res.norm(), 1e-300)
    res.destroy()
    for k in range(steps + 1 if duration > 0 else 1):
        interrupt.check(comm)
        # ... and as the deposit raises the sheet conductance (thirtyfold) the floor rises with
        # it (the sheet term's entries grow as (seed + deposit) / seed); a Newton update below
        # 1e-11 of the potential also ends the iteration
        report = solve_nonlinear_scalar(F, v, [bc], f"{name}_{k}", atol=floor * sheet_gain(h, seed_thickness),
                                        stol=1e-11)
        newton.append(report.iterations)
        i_dep.interpolate(i_expr)
        currents.append(i_dep.x.array[:n_owned].copy())
        times.append(k * dt)
        totals.append(comm.allreduce(fem.assemble_scalar(total), op=MPI.SUM))
        if duration > 0 and k < steps:
            rate = deposition_rate(i_dep.x.array, deposit.molar_mass, deposit.density, deposit.valence, efficiency)
            h.x.array[:] += rate * dt
            charge += dt * totals[-1]
    volume = comm.allreduce(fem.assemble_scalar(fem.form(2 * math.pi * h * r * dx)), op=MPI.SUM)
    return SeedHistory(radii, currents, h.x.array[:n_owned].copy(), times, charge, volume, newton, totals)


def sheet_gain(h: fem.Function, seed_thickness: float) -> float:
    """max (seed + deposit) / seed over the film (all ranks): how much the sheet conductance,
    and with it the residual's round-off floor, has grown."""
    local = float(h.x.array.max()) if len(h.x.array) else 0.0
    return 1.0 + max(h.function_space.mesh.comm.allreduce(local, op=MPI.MAX), 0.0) / seed_thickness


def terminal_effect_number(radius: float, sheet_resistance: float, polarisation_resistance: float) -> float:
    """Te = a^2 R_s / R_p: above about 1 the rim takes visibly more current than the centre."""
    return radius * radius * sheet_resistance / polarisation_resistance
