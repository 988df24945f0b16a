"""A thermo-elastic case end to end: mesh, materials, supports, solve, results, files."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field

import numpy as np
from mpi4py import MPI

import dolfinx.fem as fem
import dolfinx.io

from . import validation
from .domain import Domain, build_domain
from .linalg import SolveReport, assemble_system, rigid_body_modes, solve_spd
from .materials import Material
from .output import Staging, atomic_write_json, summary, write_csv
from .postprocess import (
    StressField,
    SurfaceShape,
    bottom_surface,
    region_stress_stats,
    remove_rigid_motion,
    stress_field,
)
from .schema import CaseError, ThermoelasticCase, resolve_materials
from .supports import build_supports, symmetric_centre
from .thermoelastic import ThermoelasticForms, material_fields, thermoelastic_forms


@dataclass
class ThermoelasticSolution:
    case: ThermoelasticCase
    domain: Domain
    forms: ThermoelasticForms
    u: fem.Function
    stress: StressField
    surface: SurfaceShape | None
    materials: dict[str, Material]
    stress_free: dict[str, float]
    temperature: float
    formulation: str
    region_stats: dict
    report: SolveReport
    supports: dict
    warnings: list[str] = field(default_factory=list)

    @property
    def dofs(self) -> int:
        V = self.forms.V
        return V.dofmap.index_map.size_global * V.dofmap.index_map_bs


def solve_case(case: ThermoelasticCase, comm: MPI.Comm, log) -> ThermoelasticSolution:
    """Everything but the files. Raises CaseError (invalid input found while meshing or
    placing supports) or SolveError (no convergence)."""
    formulation = case.model.formulation
    materials, stress_free = resolve_materials(case)
    T = case.load.temperature
    warnings = []
    for region, m in materials.items():
        lo, hi = m.cte_valid
        for t, what in ((T, "load temperature"), (stress_free[region], "stress-free temperature")):
            if not lo - 1e-9 <= t <= hi + 1e-9:
                warnings.append(
                    f"{region} ({m.name}): {what} {t - 273.15:.1f} degC is outside the CTE validity range "
                    f"{lo - 273.15:.0f}..{hi - 273.15:.0f} degC"
                )
    for w in warnings:
        log.warning("warning: %s", w)

    t0 = time.perf_counter()
    domain = build_domain(case.geometry, comm, order=case.mesh_order, algorithm=case.mesh.algorithm,
                          threads=case.mesh.threads)
    log.info("mesh: %d cells, %d vertices (%s, order %d) in %.2f s", domain.info["cells"],
             domain.info["vertices"], case.geometry.type, case.mesh_order, time.perf_counter() - t0)

    mats = material_fields(
        domain, {r: (m.E, m.nu, m.cte, stress_free[r]) for r, m in materials.items()}
    )
    forms = thermoelastic_forms(domain, mats, formulation, case.model.degree, T)
    try:
        bcs, support_info = build_supports(forms.V, domain, formulation, case.supports.symmetry,
                                           case.supports.clamped)
    except ValueError as exc:
        raise CaseError(f"supports: {exc}") from None

    V = forms.V
    dofs = V.dofmap.index_map.size_global * V.dofmap.index_map_bs
    method = case.solver.method
    if method == "auto":
        method = "direct" if dofs < case.solver.direct_below_dofs else "iterative"
    A, b, t_asm = assemble_system(forms.a, forms.L, bcs)
    u = fem.Function(V, name="displacement_m")
    report = solve_spd(
        A, b, u.x.petsc_vec, method=method, rtol=case.solver.rtol,
        max_iterations=case.solver.max_iterations, name="thermoelastic",
        near_nullspace=rigid_body_modes(V, formulation) if method == "iterative" else None,
    )
    report.assemble_s = t_asm
    u.x.scatter_forward()
    remove_rigid_motion(u, support_info["rigid_modes_removed_by_points"])
    A.destroy()
    b.destroy()
    log.info("solve: %d dofs, %s, %d iterations, true residual %.2e, %.2f s", dofs, report.method,
             report.iterations, report.residual_rel, report.setup_s + report.solve_s)

    sfield = stress_field(forms, u, case.model.degree)
    stats = region_stress_stats(domain, sfield, forms.weight)
    lo, hi = domain.extent()
    centre = _surface_centre(lo, hi, case, support_info)
    surface = bottom_surface(domain, u, formulation, centre, case.output.curvature_fit_fraction)
    thickness = hi[-1] - lo[-1]
    if surface is not None and surface.warpage > 0.5 * thickness:
        warnings.append(
            f"warpage {1e6 * surface.warpage:.0f} um exceeds half the thickness ({1e6 * thickness:.0f} um): "
            "small-deflection theory is leaving its range (it overestimates large warpage)"
        )
        log.warning("warning: %s", warnings[-1])
    return ThermoelasticSolution(case, domain, forms, u, sfield, surface, materials, stress_free, T,
                                 formulation, stats, report, support_info, warnings)


def _surface_centre(lo, hi, case, support_info) -> np.ndarray:
    """In-plane centre of the bottom surface of the full body (the axis if axisymmetric)."""
    c = symmetric_centre(lo, hi, support_info["symmetry_planes"])
    if case.model.formulation == "axisymmetric":
        c[0] = 0.0
    return c


def results_of(sol: ThermoelasticSolution) -> tuple[dict, dict | None]:
    res: dict[str, float] = {
        "max_displacement_um": 1e6 * _max_norm(sol.u),
        "max_von_mises_MPa": max(s["max_von_mises"] for s in sol.region_stats.values()) / 1e6,
    }
    if sol.surface is not None:
        res["warpage_um"] = 1e6 * sol.surface.warpage
        res["curvature_1_per_m"] = sol.surface.curvature
        if sol.domain.gdim == 3:
            res["curvature_max_1_per_m"], res["curvature_min_1_per_m"] = sol.surface.curvature_principal
    for region, s in sol.region_stats.items():
        res[f"max_von_mises_{region}_MPa"] = s["max_von_mises"] / 1e6
        res[f"mean_von_mises_{region}_MPa"] = s["mean_von_mises"] / 1e6
        res[f"max_principal_{region}_MPa"] = s["max_principal"] / 1e6
        res[f"min_principal_{region}_MPa"] = s["min_principal"] / 1e6
    reference = None
    if sol.case.validation is not None:
        measured, reference = validation.evaluate(sol.case, sol)
        res.update(measured)
    return res, reference


def _max_norm(u: fem.Function) -> float:
    bs = u.function_space.dofmap.index_map_bs
    n = u.function_space.dofmap.index_map.size_local
    local = np.linalg.norm(u.x.array.reshape(-1, bs)[:n], axis=1)
    return u.function_space.mesh.comm.allreduce(float(local.max()) if n else 0.0, op=MPI.MAX)


def write_outputs(sol: ThermoelasticSolution, staging: Staging, results: dict, reference, t_start: float,
                  resolved: dict, source: str) -> dict:
    comm = sol.domain.comm
    case = sol.case
    files = ["summary.json", "case.resolved.json"] + (["bottom_profile.csv"] if sol.surface else [])
    if case.output.fields:
        u_out = sol.u
        with dolfinx.io.VTXWriter(comm, staging.file("displacement.bp"), [u_out], engine="BP4") as w:
            w.write(0.0)
        s = sol.stress
        with dolfinx.io.VTXWriter(comm, staging.file("stress.bp"), [s.tensor, s.von_mises, s.principal],
                                  engine="BP4") as w:
            w.write(0.0)
        with dolfinx.io.XDMFFile(comm, staging.file("mesh.xdmf"), "w") as f:
            f.write_mesh(sol.domain.mesh)
            sol.domain.cell_tags.name = "regions"
            f.write_meshtags(sol.domain.cell_tags, sol.domain.mesh.geometry)
            sol.domain.mesh.topology.create_connectivity(sol.domain.tdim - 1, sol.domain.tdim)
            sol.domain.facet_tags.name = "boundaries"
            f.write_meshtags(sol.domain.facet_tags, sol.domain.mesh.geometry)
        files += ["displacement.bp", "stress.bp", "mesh.xdmf", "mesh.h5"]
    if case.output.picture:
        from .plots import thermoelastic_picture

        n_cells = sol.domain.mesh.topology.index_map(sol.domain.tdim).size_local
        vm_dofs = sol.stress.von_mises.function_space.dofmap.list[:n_cells]
        vm_cell = sol.stress.von_mises.x.array[vm_dofs].mean(axis=1)
        if thermoelastic_picture(staging.file("thermoelastic.png"), sol.u, vm_cell, sol.surface, case.name,
                                 sol.formulation):
            files.append("thermoelastic.png")

    wall_s = comm.allreduce(time.perf_counter() - t_start, op=MPI.MAX)
    peak_mb = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, op=MPI.MAX)
    data = summary(
        case.name, case.kind, "ok", comm.size, sol.dofs, wall_s, results, reference,
        source=source,
        solver=sol.report.as_dict(),
        mesh={"cells": sol.domain.info["cells"], "vertices": sol.domain.info["vertices"],
              "geometry_order": sol.domain.info["geometry_order"],
              "cells_per_region": sol.domain.info["element_counts"]},
        supports=sol.supports,
        peak_memory_per_rank_MB=round(peak_mb, 1),
        warnings=sol.warnings,
        files=sorted(files),
    )
    if comm.rank == 0:
        atomic_write_json(staging.file("case.resolved.json"), resolved)
        if sol.surface is not None:
            _write_profile(staging, sol)
        atomic_write_json(staging.file("summary.json"), data)
    return data


def _write_profile(staging: Staging, sol: ThermoelasticSolution) -> None:
    """bottom_profile.csv: the bottom surface's out-of-plane displacement, sorted by x."""
    order = np.argsort(sol.surface.points[:, 0], kind="stable")
    pts = sol.surface.points[order]
    header = ["r_um" if sol.formulation == "axisymmetric" else "x_um"]
    cols = [1e6 * pts[:, 0]]
    if sol.domain.gdim == 3:
        header.append("y_um")
        cols.append(1e6 * pts[:, 1])
    header.append("w_um")
    cols.append(1e6 * sol.surface.w[order])
    write_csv(staging.file("bottom_profile.csv"), header, np.column_stack(cols))
