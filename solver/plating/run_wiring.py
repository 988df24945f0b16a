"""``sprout run`` of a plating case on a ``wiring_cell``: a wiring pattern's unit cell plated
through resist openings (3D, P1). The secondary distribution at the cell voltage and, with
``[growth]``, the Faraday thickness map on the cathode after ``growth.time``.

The thickness at a cathode vertex k is h_k = v (I_k / A_k) t with I_k = int -i(eta) w_k
(the kinetic current tested with the vertex's hat function) and A_k = int w_k over the
cathode: the P1 field h integrates to exactly the Faraday volume of the total charge."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

from dolfinx import fem
from dolfinx.fem import petsc as fem_petsc

from solver.core.domain import Domain, build_domain
from solver.core.materials import library_material
from solver.core.output import atomic_write_json, field_hook, summary, write_csv, write_from_root
from solver.plating.current_distribution import CurrentDistribution
from solver.plating.electrochem import FARADAY, KINETICS, charge_transfer_resistance, deposition_rate, wagner_number

BIG = np.finfo(float).max


@dataclass
class WiringSolution:
    domain: Domain
    dist: CurrentDistribution
    sol: object  # CellSolution
    linear: str  # direct | iterative
    mesh_s: float
    solve_s: float


def wiring_linear_method(case, dofs: int) -> str:
    method = case.solver.method
    if method == "auto":
        return "direct" if dofs < case.solver.direct_below_dofs else "iterative"
    return method


def solve_wiring(case, comm: MPI.Comm) -> WiringSolution:
    geo = case.geometry
    t_mesh = time.perf_counter()
    domain = build_domain(geo, comm, order=1, algorithm=case.mesh.algorithm,
                          threads=case.mesh.threads, max_cells=case.mesh.max_cells)
    mesh_s = time.perf_counter() - t_mesh
    n_vertices = domain.mesh.topology.index_map(0).size_global
    linear = wiring_linear_method(case, n_vertices)
    dist = CurrentDistribution(domain, case.electrolyte.conductivity, case.cathode.electrode(),
                               case.anode.electrode(), case.temperature, False, geo.line_width, degree=1,
                               linear=linear)
    t_solve = time.perf_counter()
    sol = dist.solve(case.operation.cell_voltage, case.name)
    return WiringSolution(domain, dist, sol, linear, mesh_s, time.perf_counter() - t_solve)


def cathode_vertex_currents(case, w: WiringSolution) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(I_k, A_k, on): each owned cathode vertex's current and hat-function area."""
    dist, sol, c = w.dist, w.sol, w.dist.cathode
    ds_c = dist.ds(w.domain.boundaries["cathode"])
    test = ufl.TestFunction(dist.V)
    if c.kinetics == "none":
        # primary: the discrete flux (the residual tested with each cathode hat function)
        form = -dist.kappa * ufl.inner(ufl.grad(sol.phi), ufl.grad(test)) * dist.dx
    else:
        i = KINETICS[c.kinetics](0.0 - sol.phi - c.equilibrium_potential, c.exchange_current_density, c.alpha_a,
                                 c.alpha_c, case.temperature, exp=ufl.exp)
        form = -i * test * ds_c
    nodal = []
    for f in (form, test * ds_c):
        vec = fem_petsc.assemble_vector(fem.form(f))
        vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        nodal.append(vec.getArray().copy())
        vec.destroy()
    current_k, area_k = nodal
    on = area_k > 0
    if c.kinetics == "none":
        current_k = np.where(on, current_k, 0.0)
    return current_k, area_k, on


def wiring_results(case, w: WiringSolution, comm: MPI.Comm) -> tuple[dict[str, float], np.ndarray, list]:
    """The summary's results (collective), on rank 0 the thickness map's rows, and the
    cathode's fields (P1: the deposition current density and, with growth, the thickness;
    zero off the cathode)."""
    geo, c = case.geometry, w.dist.cathode
    current_k, area_k, on = cathode_vertex_currents(case, w)
    current = comm.allreduce(float(current_k.sum()), op=MPI.SUM)
    area = comm.allreduce(float(area_k.sum()), op=MPI.SUM)
    density_k = np.where(on, current_k / np.where(on, area_k, 1.0), 0.0)
    results = {"cell_voltage_V": w.sol.cell_voltage, "current_A": current, "flux_current_A": w.sol.current,
               "cathode_area_um2": area * 1e12, "mean_current_density_A_per_m2": current / area,
               "mean_current_density_A_per_dm2": current / area / 100.0}
    results["min_current_density_A_per_m2"] = comm.allreduce(float(density_k[on].min()) if on.any() else BIG,
                                                             op=MPI.MIN)
    results["max_current_density_A_per_m2"] = comm.allreduce(float(density_k[on].max()) if on.any() else -BIG,
                                                             op=MPI.MAX)
    if c.kinetics != "none":
        Rct = charge_transfer_resistance(c.exchange_current_density, c.alpha_a, c.alpha_c, case.temperature)
        results["wagner_number"] = wagner_number(case.electrolyte.conductivity, Rct, geo.line_width)
    density = fem.Function(w.dist.V, name="deposition_current_density_A_per_m2")
    density.x.array[: len(density_k)] = density_k
    density.x.scatter_forward()
    surface = [density]
    rows = np.zeros((0, 3))
    if case.growth is not None and case.growth.time > 0:
        grown, rows, h = thickness_map(case, w, density_k, on, current, area, comm)
        results.update(grown)
        surface.append(h)
    return results, rows, surface


def thickness_map(case, w: WiringSolution, density_k, on, current: float, area: float, comm: MPI.Comm):
    """The Faraday thickness after growth.time at each cathode vertex: its extremes, mean,
    pad and line means, and the balance against the charge; rows (x, y, h) on rank 0; the
    thickness as a P1 field."""
    geo, g, dist = case.geometry, case.growth, w.dist
    ds_c = dist.ds(w.domain.boundaries["cathode"])
    dep = library_material(g.deposit)
    rate = deposition_rate(1.0, dep.molar_mass, dep.density, dep.valence, g.efficiency)  # m/s per A/m^2
    h = fem.Function(dist.V, name="thickness_m")
    n_owned = dist.V.dofmap.index_map.size_local
    h.x.array[:n_owned] = rate * g.time * density_k
    h.x.scatter_forward()
    volume = comm.allreduce(fem.assemble_scalar(fem.form(h * ds_c)), op=MPI.SUM)
    charge = current * g.time
    hk = h.x.array[:n_owned][on]
    h_min = comm.allreduce(float(hk.min()) if len(hk) else BIG, op=MPI.MIN)
    h_max = comm.allreduce(float(hk.max()) if len(hk) else -BIG, op=MPI.MAX)
    h_mean = volume / area
    x = ufl.SpatialCoordinate(w.domain.mesh)
    r_pad = geo.pad_diameter / 2
    yc = geo.cell_width / 2
    in_pad = ufl.conditional(ufl.lt((x[0] - geo.pad_centre) ** 2 + (x[1] - yc) ** 2, r_pad ** 2), 1.0, 0.0)
    in_line = ufl.conditional(ufl.gt(abs(x[0] - geo.pad_centre), r_pad + geo.line_width), 1.0, 0.0)

    def mean_over(marker):
        num = comm.allreduce(fem.assemble_scalar(fem.form(h * marker * ds_c)), op=MPI.SUM)
        den = comm.allreduce(fem.assemble_scalar(fem.form(marker * ds_c)), op=MPI.SUM)
        return num / den if den > 0 else float("nan")

    results = {
        "plating_time_s": g.time, "charge_C": charge, "deposited_volume_um3": volume * 1e18,
        "faraday_volume_um3": charge * dep.molar_mass * g.efficiency / (dep.valence * FARADAY * dep.density) * 1e18,
        "thickness_min_um": h_min * 1e6, "thickness_max_um": h_max * 1e6, "thickness_mean_um": h_mean * 1e6,
        "uniformity": (h_max - h_min) / (2 * h_mean), "uniformity_pct": 100 * (h_max - h_min) / (2 * h_mean)}
    if geo.resist_thickness > 0 and r_pad > 0:
        pad, line = mean_over(in_pad), mean_over(in_line)
        results.update({"thickness_pad_mean_um": pad * 1e6, "thickness_line_mean_um": line * 1e6,
                        "pad_to_line_thickness_ratio": pad / line})
    xyz = dist.V.tabulate_dof_coordinates()[:n_owned][on]
    gathered = comm.gather(np.column_stack([xyz[:, :2] * 1e6, hk * 1e6]), root=0)
    rows = np.zeros((0, 3))
    if comm.rank == 0:
        rows = np.concatenate(gathered)
        rows = rows[np.lexsort((rows[:, 1], rows[:, 0]))]
    return results, rows, h


def run_wiring(case, out: Path, comm: MPI.Comm, t0: float, source: str, resolved: dict) -> dict:
    """Solve -> results -> files (fields/potential.pvd, fields/cathode.pvd: the current
    density and thickness map on the cathode, cathode_thickness.csv, the summary)."""
    w = solve_wiring(case, comm)
    results, rows, surface = wiring_results(case, w, comm)
    solver_info = {"method": "newton+cg+gamg" if w.linear == "iterative" else "newton+mumps",
                   "newton_iterations": w.sol.newton_iterations, "solve_s": round(w.solve_s, 4),
                   "mesh_s": round(w.mesh_s, 4), **w.sol.info}

    def write(staging) -> dict:
        files = ["summary.json", "case.resolved.json", *fields.files]
        if len(rows):
            write_csv(staging.file("cathode_thickness.csv"), ["x_um", "y_um", "thickness_um"], rows)
            files.append("cathode_thickness.csv")
        atomic_write_json(staging.file("case.resolved.json"), resolved)
        data = summary(case.name, case.kind, "ok", comm.size, w.dist.V.dofmap.index_map.size_global,
                       time.perf_counter() - t0, results, None, source=source, files=files, solver=solver_info,
                       mesh={"cells": w.domain.info["cells"]})
        atomic_write_json(staging.file("summary.json"), data)
        return data

    def write_fields(ff) -> None:
        ff.write("potential", w.domain, [w.sol.phi])
        ff.surface("cathode", w.domain, "cathode", surface)

    fields = field_hook(comm, case.fields.vtx, write_fields)  # runs before write(), which lists its files
    return write_from_root(out, comm, write, fields=fields)
