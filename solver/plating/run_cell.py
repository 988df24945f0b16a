"""``sprout run`` of a plating case: the current distribution and what the engineer reads
off it.

Results: cell voltage, total cathodic current (A; per metre of depth for plane cells),
cell resistance (primary), mean current density (the total over the cathode's area), the
cathode's distribution sampled at its facet midpoints (``cathode_current.csv``) with its
extremes and uniformity (max - min) / (2 mean), and for secondary cells the Wagner number
kappa R_ct / L. At a singular electrode edge (a disk in an insulating plane, primary) the
sampled maximum depends on the mesh; the total current does not.
"""

from __future__ import annotations

import time

import numpy as np
from mpi4py import MPI

from solver.core.domain import build_domain
from solver.core.kind import RunContext
from solver.core.output import atomic_write_json, field_writer, summary, write_csv, write_from_root
from solver.plating.current_distribution import CurrentDistribution
from solver.plating.electrochem import charge_transfer_resistance, uniformity, wagner_number
from solver.plating.run_wiring import run_wiring


def length_scale(geo) -> float:
    """The cell's characteristic length: disk radius, inner cylinder radius, plate gap."""
    return geo.gap if geo.shape == "plates" else geo.radius


def run_plating(case, ctx: RunContext) -> dict:
    out, comm, t0, source, resolved = ctx.out, ctx.comm, ctx.t0, ctx.source, ctx.resolved
    geo = case.geometry
    if geo.type == "wiring_cell":  # the 3D unit cell of a wiring pattern: its own module
        return run_wiring(case, out, comm, t0, source, resolved)
    t_mesh = time.perf_counter()
    domain = build_domain(geo, comm, order=2, algorithm=case.mesh.algorithm,
                          threads=case.mesh.threads, max_cells=case.mesh.max_cells)
    mesh_s = time.perf_counter() - t_mesh
    L = length_scale(geo)
    if case.electrolyte.tertiary:
        return _run_tertiary(case, domain, out, comm, t0, source, resolved, mesh_s)
    dist = CurrentDistribution(domain, case.electrolyte.conductivity, case.cathode.electrode(),
                               case.anode.electrode(), case.temperature, geo.axisymmetric, L)
    t_solve = time.perf_counter()
    if case.operation.cell_voltage is not None:
        sol = dist.solve(case.operation.cell_voltage, case.name)
    else:
        sol = dist.galvanostatic(case.operation.current, case.name)
    solve_s = time.perf_counter() - t_solve
    samples = cathode_samples(dist, sol)
    unit = "A" if geo.axisymmetric else "A_per_m"
    results = {"cell_voltage_V": sol.cell_voltage, f"current_{unit}": sol.current}
    area = cathode_area(dist)
    results["mean_current_density_A_per_m2"] = sol.current / area
    if len(samples):
        results["max_current_density_A_per_m2"] = float(samples[:, 2].max())
        results["min_current_density_A_per_m2"] = float(samples[:, 2].min())
        results["uniformity"] = uniformity(samples[:, 2])
    if dist.cathode.kinetics == "none" and dist.anode.kinetics == "none":
        results["resistance_ohm" if geo.axisymmetric else "resistance_ohm_m"] = sol.cell_voltage / sol.current
    elif dist.cathode.kinetics != "none":
        c = dist.cathode
        Rct = charge_transfer_resistance(c.exchange_current_density, c.alpha_a, c.alpha_c, case.temperature)
        results["wagner_number"] = wagner_number(case.electrolyte.conductivity, Rct, L)
    def write(staging) -> dict:
        write_csv(staging.file("cathode_current.csv"), ["x_um", "y_um", "current_density_A_per_m2"],
                  np.column_stack([samples[:, :2] * 1e6, samples[:, 2:]]) if len(samples) else np.zeros((0, 3)))
        atomic_write_json(staging.file("case.resolved.json"), resolved)
        data = summary(case.name, case.kind, "ok", comm.size, dist.V.dofmap.index_map.size_global,
                       time.perf_counter() - t0, results, None, source=source,
                       files=["summary.json", "case.resolved.json", "cathode_current.csv", *fields.files],
                       solver={"method": "newton+mumps" if sol.newton_iterations else "mumps",
                               "newton_iterations": sol.newton_iterations, "solve_s": round(solve_s, 4),
                               "mesh_s": round(mesh_s, 4), **sol.info},
                       mesh={"cells": domain.info["cells"]})
        atomic_write_json(staging.file("summary.json"), data)
        return data

    fields = field_writer(domain, "potential", [sol.phi], case.fields.vtx)  # runs before write(), which lists its files
    return write_from_root(out, comm, write, fields=fields)


def cathode_area(dist) -> float:
    """The cathode's area (m^2; per metre of depth for plane cells) of a current or tertiary
    distribution."""
    from dolfinx import fem

    form = fem.form(dist.weight * dist.ds(dist.domain.boundaries["cathode"]))
    return dist.domain.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)


def cathode_samples(dist: CurrentDistribution, sol) -> np.ndarray:
    """(x, y, deposition current density) at the midpoints of the cathode's facets (owned
    by this rank, gathered on rank 0, ordered along x then y): -kappa grad(phi) . n with n
    out of the electrolyte, evaluated in the facet's cell."""
    import dolfinx.mesh
    import ufl
    from dolfinx import fem

    domain = dist.domain
    msh = domain.mesh
    tdim = domain.tdim
    msh.topology.create_connectivity(tdim - 1, tdim)
    msh.topology.create_connectivity(tdim - 1, 0)
    f2c = msh.topology.connectivity(tdim - 1, tdim)
    n_facets = msh.topology.index_map(tdim - 1).size_local
    facets = domain.facets("cathode")
    facets = facets[facets < n_facets]
    W = fem.functionspace(msh, ("Discontinuous Lagrange", 1, (2,)))
    g = fem.Function(W)
    g.interpolate(fem.Expression(ufl.grad(sol.phi), W.element.interpolation_points))
    rows = []
    if len(facets):
        mids = dolfinx.mesh.compute_midpoints(msh, tdim - 1, facets.astype(np.int32))
        cells = np.array([f2c.links(f)[0] for f in facets], dtype=np.int32)
        cmid = dolfinx.mesh.compute_midpoints(msh, tdim, cells)
        nodes = dolfinx.mesh.entities_to_geometry(msh, tdim - 1, facets.astype(np.int32))
        for m, c, cm, nd in zip(mids, cells, cmid, nodes):
            a, b = msh.geometry.x[nd[0]], msh.geometry.x[nd[1]]  # the facet's end vertices
            t = (b - a)[:2]
            n = np.array([t[1], -t[0]]) / np.linalg.norm(t)
            if np.dot(n, (m - cm)[:2]) < 0:
                n = -n
            grad = g.eval(m, np.array([c], dtype=np.int32))
            rows.append([m[0], m[1], float(-dist.kappa * np.dot(grad, n))])  # j . n, j = -kappa grad phi
    gathered = msh.comm.gather(np.array(rows).reshape(-1, 3), root=0)
    if msh.comm.rank != 0:
        return np.zeros((0, 3))
    out = np.concatenate(gathered)
    return out[np.lexsort((out[:, 1], out[:, 0]))]


def _run_tertiary(case, domain, out, comm, t0, source, resolved, mesh_s) -> dict:
    from solver.plating.tertiary import TertiaryDistribution

    geo, el = case.geometry, case.electrolyte
    anion = (el.anion_diffusivity, el.anion_valence) if el.binary else None
    dist = TertiaryDistribution(domain, el.conductivity, el.diffusivity, el.bulk_concentration, el.valence,
                                case.cathode.electrode(), case.anode.equilibrium_potential, case.temperature,
                                geo.axisymmetric, length_scale(geo), anion=anion)
    t_solve = time.perf_counter()
    out_state = dist.solve(case.operation.cell_voltage, case.name, case.operation.continuation_steps)
    solve_s = time.perf_counter() - t_solve
    unit = "A" if geo.axisymmetric else "A_per_m"
    mean = out_state["current"] / cathode_area(dist)
    results = {"cell_voltage_V": case.operation.cell_voltage, f"current_{unit}": out_state["current"],
               "mean_current_density_A_per_m2": mean,
               "min_surface_concentration_mol_per_m3": out_state["surface_concentration"],
               "surface_over_bulk_concentration": out_state["surface_concentration"] / el.bulk_concentration,
               "mean_surface_concentration_mol_per_m3": out_state["mean_surface_concentration"]}
    if el.binary:
        results["bulk_conductivity_S_per_m"] = dist.kappa
        results["transference_number"] = dist.transference_number()
    if geo.shape == "plates":
        limit = dist.limiting_current_density(geo.gap)
        results["limiting_current_density_A_per_m2"] = limit
        results["current_over_limiting"] = mean / limit

    def write(staging) -> dict:
        atomic_write_json(staging.file("case.resolved.json"), resolved)
        data = summary(case.name, case.kind, "ok", comm.size, dist.W.dofmap.index_map.size_global * 2,
                       time.perf_counter() - t0, results, None, source=source,
                       files=["summary.json", "case.resolved.json", *fields.files],
                       solver={"method": "newton+mumps (monolithic potential and concentration)",
                               "electrolyte_model": el.model,
                               "newton_iterations": out_state["newton_iterations"],
                               "continuation_steps": case.operation.continuation_steps,
                               "solve_s": round(solve_s, 4), "mesh_s": round(mesh_s, 4)},
                       mesh={"cells": domain.info["cells"]})
        atomic_write_json(staging.file("summary.json"), data)
        return data

    phi, c = dist.u.sub(0).collapse(), dist.u.sub(1).collapse()
    phi.name, c.name = "electrolyte_potential_V", "concentration_mol_per_m3"
    fields = field_writer(domain, "potential_concentration", [phi, c], case.fields.vtx)
    return write_from_root(out, comm, write, fields=fields)
