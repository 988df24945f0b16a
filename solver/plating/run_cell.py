"""``sprout run`` of a plating case: the current distribution and what the engineer reads
off it.

Results: cell voltage, total cathodic current (A; per metre of depth for plane cells), the
cathode's current density (``cathode_current.csv`` at every node of the cathode, its ends
included: the kinetics there for secondary cells, the consistent discrete flux for
primary ones) with its area-weighted mean (the current over the area), min, max and
uniformity (max - min) / (2 mean) from that one distribution; the cell resistance V / I
and its ohmic part (V - dE_eq - eta_a + eta_c) / I with the current-weighted electrode
overpotentials, for every distribution level; for secondary cells the Wagner number
kappa R_ct / L. At a singular electrode edge (a disk in an insulating plane, primary) the
maximum grows with refinement; the total current does not.
"""

from __future__ import annotations

import time

import numpy as np
from mpi4py import MPI

from solver.core.domain import build_domain
from solver.core.kind import RunContext
from solver.core.output import atomic_write_json, field_writer, summary, write_csv, write_from_root
from solver.plating.current_distribution import CurrentDistribution
from solver.plating.electrochem import charge_transfer_resistance, wagner_number
from solver.plating.electrode_current import ElectrodeCurrent, electrode_area, nodal_values, sampled
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
    cathode = dist.current_density(sol, "cathode")
    samples = cathode.samples
    unit = "A" if geo.axisymmetric else "A_per_m"
    results = {"cell_voltage_V": sol.cell_voltage, f"current_{unit}": sol.current}
    results.update(distribution_results(cathode))
    overpotentials = {name: dist.mean_overpotential(sol.phi, name, sol.cell_voltage) for name in ("cathode", "anode")}
    results.update(resistances(sol.cell_voltage, sol.current, case.anode.equilibrium_potential
                               - case.cathode.equilibrium_potential, overpotentials, geo.axisymmetric))
    if dist.cathode.kinetics != "none":
        c = dist.cathode
        Rct = charge_transfer_resistance(c.exchange_current_density, c.alpha_a, c.alpha_c, case.temperature)
        results["wagner_number"] = wagner_number(case.electrolyte.conductivity, Rct, L)
    how = "kinetics at the cathode's nodes" if dist.cathode.kinetics != "none" else "consistent discrete flux"

    def write(staging) -> dict:
        write_cathode_csv(staging, samples)
        atomic_write_json(staging.file("case.resolved.json"), resolved)
        data = summary(case.name, case.kind, "ok", comm.size, dist.V.dofmap.index_map.size_global,
                       time.perf_counter() - t0, results, None, source=source,
                       files=["summary.json", "case.resolved.json", "cathode_current.csv", *fields.files],
                       solver={"method": "newton+mumps" if sol.newton_iterations else "mumps",
                               "newton_iterations": sol.newton_iterations, "solve_s": round(solve_s, 4),
                               "mesh_s": round(mesh_s, 4), "cathode_current_density": how, **sol.info},
                       mesh={"cells": domain.info["cells"]})
        atomic_write_json(staging.file("summary.json"), data)
        return data

    fields = field_writer(domain, "potential", [sol.phi], case.fields.vtx)  # runs before write(), which lists its files
    return write_from_root(out, comm, write, fields=fields)


def write_cathode_csv(staging, samples: np.ndarray) -> None:
    """The cathode's current density at its nodes (rank 0 holds them), micrometres."""
    write_csv(staging.file("cathode_current.csv"), ["x_um", "y_um", "current_density_A_per_m2"],
              np.column_stack([samples[:, :2] * 1e6, samples[:, 2:]]) if len(samples) else np.zeros((0, 3)))


def distribution_results(cathode: ElectrodeCurrent) -> dict:
    """Mean (area-weighted), min, max and uniformity of one cathode distribution."""
    return {"mean_current_density_A_per_m2": cathode.mean, "max_current_density_A_per_m2": cathode.maximum,
            "min_current_density_A_per_m2": cathode.minimum, "uniformity": cathode.uniformity}


def resistances(V: float, current: float, equilibrium_difference: float, overpotentials: dict,
                axisymmetric: bool) -> dict:
    """The cell resistance V / I and its ohmic part (V - dE_eq - eta_a + eta_c) / I, with the
    electrodes' current-weighted mean overpotentials (the cathode's negative when it plates).
    Per metre of depth (ohm m) for plane cells."""
    unit = "ohm" if axisymmetric else "ohm_m"
    eta_c, eta_a = overpotentials["cathode"], overpotentials.get("anode", 0.0)
    return {f"resistance_{unit}": V / current,
            f"ohmic_resistance_{unit}": (V - equilibrium_difference - eta_a + eta_c) / current,
            "cathode_overpotential_V": eta_c, "anode_overpotential_V": eta_a}


def cathode_area(dist) -> float:
    """The cathode's area (m^2; per metre of depth for plane cells) of a current or tertiary
    distribution."""
    return electrode_area(dist.domain, "cathode", dist.weight, dist.ds)


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
    current, V = out_state["current"], case.operation.cell_voltage
    cathode = tertiary_current_density(dist, current)
    mean = cathode.mean
    results = {"cell_voltage_V": V, f"current_{unit}": current, **distribution_results(cathode),
               **resistances(V, current, case.anode.equilibrium_potential - case.cathode.equilibrium_potential,
                             {"cathode": tertiary_overpotential(dist)}, geo.axisymmetric),
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
        write_cathode_csv(staging, cathode.samples)
        atomic_write_json(staging.file("case.resolved.json"), resolved)
        data = summary(case.name, case.kind, "ok", comm.size, dist.W.dofmap.index_map.size_global * 2,
                       time.perf_counter() - t0, results, None, source=source,
                       files=["summary.json", "case.resolved.json", "cathode_current.csv", *fields.files],
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


def tertiary_current_density(dist, current: float) -> ElectrodeCurrent:
    """The deposition current density at the cathode's nodes: the concentration-dependent
    kinetics at the solved potential and concentration there."""
    V, _ = dist.W.sub(0).collapse()
    return sampled(V, dist.domain, "cathode", -nodal_values(V, dist.i), current, cathode_area(dist))


def tertiary_overpotential(dist) -> float:
    """The cathode's current-weighted overpotential (V) against the bulk's equilibrium
    potential: surface and concentration overpotential together."""
    import ufl
    from dolfinx import fem

    phi, _ = ufl.split(dist.u)
    eta = -phi - dist.cathode.equilibrium_potential
    ds = dist.ds(dist.domain.boundaries["cathode"])
    comm = dist.domain.comm
    num = comm.allreduce(fem.assemble_scalar(fem.form(eta * dist.i * dist.weight * ds)), op=MPI.SUM)
    den = comm.allreduce(fem.assemble_scalar(fem.form(dist.i * dist.weight * ds)), op=MPI.SUM)
    return num / den
