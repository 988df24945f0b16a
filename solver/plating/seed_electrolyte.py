"""The seed film coupled to the electrolyte: the terminal effect and the cell's own ohmic
resistance solved together (axisymmetric wafer cell, ``meshes.WaferCell``).

Unknowns, both P2: the electrolyte potential phi in the cell and the film's potential V on
the cathode facets (the wafer face z = 0, 0 <= r <= a), in one Newton solve:

    div(kappa grad phi) = 0                      in the electrolyte,
    kappa dphi/dn = i(eta)                       on the cathode (n out of the electrolyte),
    d/dr (r / R_s dV/dr) = r i(eta)              along the cathode (the film),
    eta = V - phi - E_eq,c,  V = 0 at the contact (r = a),
    phi = V_cell - E_eq,a at the anode (or anode kinetics with eta_a = V_cell - phi - E_eq,a),

with R_s = rho / (seed + deposit) and i the kinetics (anodic positive). The same i(eta)
leaves the film and enters the electrolyte, so charge is conserved by construction: the
anode's current equals the cathode's to the Newton tolerance (reported).

Formulation (why not a facet submesh): one mixed P2 x P2 space on the parent mesh. The
film's terms, tangential gradient included, are ``ds`` integrals of the parent over the
cathode facets; the film component's dofs off the cathode are held at zero by a Dirichlet
condition. The tangential derivative of a P2 field on a facet depends only on the facet's
own dofs, so the constrained copies do not enter the film's equations. This is one form,
one Jacobian, one MUMPS factorisation per Newton step through the project's Newton helper,
with the parent's partition and ghosts, identical in serial and in parallel. The block
system over a ``create_submesh`` facet mesh would save the constrained film dofs (about
half the unknowns, cheap in 2D); it runs (``NonlinearProblem([F0, F1], [phi, V],
entity_maps=..., kind="mpi")``, serial and 2 ranks), but the film's conduction cannot sit in
the submesh's ``dx`` next to the parent's ``ds`` kinetics (one form, two meshes), and written
as a parent ``ds`` integral the gradient of the submesh function came out wrong in this
dolfinx 0.11 build: the pure terminal-effect film (a/lambda = 3.8) drew 17.79 A with the
tangential gradient and 31.60 A with the full one, against 30.746 A from the submesh's own
``dx`` and from this formulation, which the Bessel closed form confirms.
Which film dofs lie on the cathode is decided consistently across ranks (an indicator
summed over owners and ghosts), so a ghost whose cathode facet is not on its rank is not
wrongly constrained.

Growth: explicit Faraday steps at the cathode dofs, as in :func:`seed_layer.seed_growth`;
the deposited volume equals eps M / (n F rho) times the charge to round-off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import basix.ufl
import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

import dolfinx.fem.petsc as fem_petsc
import dolfinx.la as la
import dolfinx.mesh
from dolfinx import fem

from solver.core import interrupt
from solver.core.linalg import solve_nonlinear_scalar
from solver.plating.electrochem import Electrode, KINETICS, deposition_rate
from solver.plating.seed_layer import SeedHistory, sheet_gain


@dataclass
class CoupledHistory(SeedHistory):
    overpotential: list[np.ndarray]  # eta at the cathode dofs (owned) per step, V
    film_potential: np.ndarray  # V at the end (owned cathode dofs), V
    anode_current: list[float]  # A through the anode per step (discrete flux)
    cathode_current: list[float]  # A through the cathode per step (quadrature of i, > 0 plating)
    dofs: int
    electrolyte_potential: object = None  # the electrolyte's potential at the end (a P2 function), for the fields


def coupled_seed_growth(domain, radius: float, conductivity: float, cathode: Electrode, anode: Electrode,
                        cell_voltage: float, seed_thickness: float, resistivity: float, deposit, efficiency: float,
                        T: float, duration: float, steps: int, name: str) -> CoupledHistory:
    """Solve the coupled film/electrolyte distribution at ``cell_voltage`` (anode against
    the contact), then grow the deposit ``steps`` times over ``duration`` (none if 0),
    re-solving with the lower sheet resistance each step."""
    msh = domain.mesh
    comm = msh.comm
    tdim = msh.topology.dim
    el = basix.ufl.element("Lagrange", msh.basix_cell(), 2)
    W = fem.functionspace(msh, basix.ufl.mixed_element([el, el]))
    u = fem.Function(W, name="electrolyte_and_film_potential_V")
    phi, v = ufl.split(u)
    q, w = ufl.TestFunctions(W)
    Ve, e_map = W.sub(0).collapse()
    Vf, f_map = W.sub(1).collapse()
    e_map, f_map = np.asarray(e_map).ravel(), np.asarray(f_map).ravel()  # scalar sub-spaces: one block
    x = ufl.SpatialCoordinate(msh)
    r = x[0]
    dx = ufl.Measure("dx", domain=msh)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=domain.facet_tags)
    wafer, counter = ds(domain.boundaries["cathode"]), ds(domain.boundaries["anode"])

    # -- which film dofs are the film's: on a cathode facet of any rank
    cathode_facets = domain.facets("cathode")
    on_cathode = fem.locate_dofs_topological((W.sub(1), Vf), tdim - 1, cathode_facets)
    chi = fem.Function(Vf)  # 1 on the film's dofs
    chi.x.array[on_cathode[1]] = 1.0
    chi.x.scatter_reverse(la.InsertMode.add)
    chi.x.scatter_forward()
    film = np.flatnonzero(chi.x.array > 0.5)
    chi.x.array[:] = 0.0
    chi.x.array[film] = 1.0
    off = np.flatnonzero(chi.x.array < 0.5)
    zero = fem.Function(Vf)
    bcs = [fem.dirichletbc(zero, [f_map[off].astype(np.int32), off.astype(np.int32)], W.sub(1))]
    # the contact ring: the rim vertex (r = a, z = 0) holds V = 0
    tol = 1e-9 * radius
    rim = dolfinx.mesh.locate_entities_boundary(
        msh, 0, lambda p: np.isclose(p[0], radius, rtol=0, atol=tol) & np.isclose(p[1], 0.0, rtol=0, atol=tol))
    contact = fem.locate_dofs_topological((W.sub(1), Vf), 0, rim)
    if comm.allreduce(len(contact[0]), op=MPI.SUM) == 0:
        raise ValueError("the mesh has no vertex at the contact (r = radius, z = 0)")
    bcs.append(fem.dirichletbc(zero, contact, W.sub(1)))
    # the anode: phi = V_cell - E_eq,a without kinetics
    phi_anode = cell_voltage - anode.equilibrium_potential
    anode_dofs = fem.locate_dofs_topological((W.sub(0), Ve), tdim - 1, domain.facets("anode"))
    g_anode = fem.Function(Ve)
    g_anode.x.array[:] = phi_anode
    if anode.kinetics == "none":
        bcs.append(fem.dirichletbc(g_anode, anode_dofs, W.sub(0)))

    def kinetics(electrode, eta):
        return KINETICS[electrode.kinetics](eta, electrode.exchange_current_density, electrode.alpha_a,
                                            electrode.alpha_c, T, exp=ufl.exp)

    i_c = kinetics(cathode, v - phi - cathode.equilibrium_potential)
    h = fem.Function(Vf, name="deposit_thickness_m")
    Rs = resistivity / (seed_thickness + h)
    n = ufl.FacetNormal(msh)
    tangent = ufl.as_vector((-n[1], n[0]))
    dv, dw = ufl.dot(ufl.grad(v), tangent), ufl.dot(ufl.grad(w), tangent)
    # rows scaled to entries of order one: the electrolyte's by 1 / (kappa a), the film's by
    # R_s(seed) / a (the bare seed's sheet term against the kinetics)
    s_e = 1.0 / (conductivity * radius)
    s_f = resistivity / seed_thickness / radius
    F = s_e * (conductivity * ufl.inner(ufl.grad(phi), ufl.grad(q)) * r * dx - i_c * q * r * wafer)
    if anode.kinetics != "none":
        F = F - s_e * kinetics(anode, cell_voltage - phi - anode.equilibrium_potential) * q * r * counter
    F = F + s_f * (dv * dw / Rs + i_c * w) * r * wafer

    # start: the electrolyte at the anode's potential, the film at the contact's (the whole
    # overpotential on the kinetics: the largest residual, the scale of the tolerance)
    u.x.array[e_map] = phi_anode
    u.x.array[f_map] = 0.0
    u.x.scatter_forward()
    res = fem_petsc.assemble_vector(fem.form(F))
    res.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    floor = 1e-10 * max(res.norm(), 1e-300)
    res.destroy()

    # deposition current density at the film's dofs, and the currents through the electrodes
    i_dep = fem.Function(Vf)
    i_expr = fem.Expression(-i_c, Vf.element.interpolation_points)
    eta_f = fem.Function(Vf)
    eta_expr = fem.Expression(v - phi - cathode.equilibrium_potential, Vf.element.interpolation_points)
    total = fem.form(2 * math.pi * i_dep * r * wafer)
    exact = fem.form(-2 * math.pi * i_c * r * wafer)
    chi_a = fem.Function(W)  # 1 on the anode's electrolyte dofs: tests the equation for its flux
    chi_a.x.array[anode_dofs[0]] = 1.0
    chi_a.x.scatter_forward()
    if anode.kinetics == "none":
        flux = fem.form(2 * math.pi * conductivity * ufl.inner(ufl.grad(phi), ufl.grad(ufl.split(chi_a)[0])) * r * dx)
    else:
        flux = fem.form(2 * math.pi * kinetics(anode, cell_voltage - phi - anode.equilibrium_potential) * r * counter)

    n_owned = Vf.dofmap.index_map.size_local
    mine = np.sort(film[film < n_owned])
    mine = mine[np.argsort(Vf.tabulate_dof_coordinates()[mine, 0], kind="stable")]
    radii = Vf.tabulate_dof_coordinates()[mine, 0]
    currents, etas, times, newton, totals, anode_I, cathode_I = [], [], [], [], [], [], []
    charge = 0.0
    dt = duration / steps if duration > 0 else 0.0

    def total_of(form) -> float:
        return comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    for k in range(steps + 1 if duration > 0 else 1):
        interrupt.check(comm)
        report = solve_nonlinear_scalar(F, u, bcs, f"{name}_{k}", atol=floor * sheet_gain(h, seed_thickness),
                                        stol=1e-12)
        newton.append(report.iterations)
        i_dep.interpolate(i_expr)
        i_dep.x.array[:] *= chi.x.array
        eta_f.interpolate(eta_expr)
        currents.append(i_dep.x.array[mine].copy())
        etas.append(eta_f.x.array[mine].copy())
        times.append(k * dt)
        totals.append(total_of(total))
        cathode_I.append(total_of(exact))
        anode_I.append(total_of(flux))
        if duration > 0 and k < steps:
            rate = deposition_rate(i_dep.x.array, deposit.molar_mass, deposit.density, deposit.valence, efficiency)
            h.x.array[:] += rate * dt
            charge += dt * totals[-1]
    volume = total_of(fem.form(2 * math.pi * h * r * wafer))
    V_film = u.x.array[f_map[mine]].copy()
    dofs = W.dofmap.index_map.size_global
    phi_end = u.sub(0).collapse()
    phi_end.name = "electrolyte_potential_V"
    return CoupledHistory(radii, currents, h.x.array[mine].copy(), times, charge, volume, newton, totals,
                          etas, V_film, anode_I, cathode_I, dofs, phi_end)
