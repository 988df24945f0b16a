"""A thermo-elastic case end to end: mesh, materials, supports, the load path, results, files.

Each load step is the equilibrium at its temperature (total formulation): every material's
free thermal strain is its CTE integrated from its own stress-free temperature, its modulus
that at the step temperature. The stiffness is assembled (and the preconditioner set up)
only when a modulus changed; every step assembles its right-hand side. With
``geometric_nonlinearity`` the steps are reached by Newton continuation in temperature."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field

import numpy as np
from mpi4py import MPI

import dolfinx.fem as fem

from solver.core import interrupt
from solver.core.case import CaseError
from solver.core.domain import Domain, build_domain
from solver.core.elastic_solver import ElasticSolver, solve_nonlinear
from solver.core.kind import RunContext
from solver.core.linalg import SolveReport
from solver.core.materials import Material
from solver.core.output import Staging, atomic_write_json, summary, write_csv
from solver.mechanics import benchmarks
from solver.mechanics.forms import ThermoelasticForms, material_fields, nonlinear_forms, thermoelastic_forms
from solver.mechanics.results import (
    StressField,
    SurfaceShape,
    bottom_surface,
    bump_table,
    interface_tractions,
    region_stress_stats,
    remove_rigid_motion,
    stress_field,
)
from solver.mechanics.schema import ThermoelasticCase, resolve_materials
from solver.mechanics.supports import build_supports, symmetric_centre


def run_thermoelastic(case: ThermoelasticCase, ctx: RunContext) -> dict:
    """Solve -> results -> files (staged, then moved into OUT with summary.json last)."""
    sol = solve_case(case, ctx.comm, ctx.log)
    results, reference = results_of(sol)
    staging = Staging(ctx.out, ctx.comm)
    try:
        data = write_outputs(sol, staging, results, reference, ctx.t0, ctx.resolved, ctx.source)
        staging.commit()
    except BaseException:
        staging.discard()
        raise
    return data


@dataclass
class StepSolution:
    """One load step; carries what validation, results and files read."""

    name: str
    temperature: float
    u: fem.Function
    stress: StressField
    surface: SurfaceShape | None
    region_stats: dict
    tractions: dict
    bumps: list[dict]
    report: SolveReport
    # shared by all steps
    case: ThermoelasticCase
    domain: Domain
    forms: ThermoelasticForms
    materials: dict[str, Material]
    stress_free: dict[str, float]
    formulation: str


@dataclass
class ThermoelasticSolution:
    case: ThermoelasticCase
    domain: Domain
    forms: ThermoelasticForms
    materials: dict[str, Material]
    stress_free: dict[str, float]
    formulation: str
    supports: dict
    steps: list[StepSolution]
    reports: list[SolveReport]
    warnings: list[str] = field(default_factory=list)
    mesh_s: float = 0.0  # building the mesh (gmsh and its distribution)
    results_s: float = 0.0  # the steps' stresses, shapes and averages

    @property
    def dofs(self) -> int:
        V = self.forms.V
        return V.dofmap.index_map.size_global * V.dofmap.index_map_bs


def material_state(materials: dict[str, Material], stress_free: dict[str, float], T: float):
    """region -> (E(T), nu, free thermal strain from the stress-free temperature to T)."""
    return {r: (m.E_at(T), m.nu, m.thermal_strain(stress_free[r], T)) for r, m in materials.items()}


def _validity_warnings(case, materials, stress_free) -> list[str]:
    out = []
    for region, m in materials.items():
        lo, hi = m.cte_valid
        if m.cte_table is not None:
            lo, hi = m.cte_table[0][0], m.cte_table[-1][0]
        temps = [(t, f"step {name!r}") for name, t in case.load.path] + [(stress_free[region], "stress-free state")]
        for t, what in temps:
            if not lo - 1e-9 <= t <= hi + 1e-9:
                out.append(f"{region} ({m.name}): {what} at {t - 273.15:.1f} degC is outside the CTE validity "
                           f"range {lo - 273.15:.0f}..{hi - 273.15:.0f} degC")
    return out


def solve_case(case: ThermoelasticCase, comm: MPI.Comm, log) -> ThermoelasticSolution:
    """Everything but the files. Raises CaseError (invalid input found while meshing or
    placing supports) or SolveError (no convergence)."""
    formulation = case.model.formulation
    materials, stress_free = resolve_materials(case)
    warnings = _validity_warnings(case, materials, stress_free)
    for w in warnings:
        log.warning("warning: %s", w)

    t0 = time.perf_counter()
    domain = build_domain(case.geometry, comm, order=case.mesh_order, algorithm=case.mesh.algorithm,
                          threads=case.mesh.threads, max_cells=case.mesh.max_cells)
    mesh_s = time.perf_counter() - t0
    log.info("mesh: %d cells, %d vertices (%s, order %d) in %.2f s", domain.info["cells"],
             domain.info["vertices"], case.geometry.type, case.mesh_order, mesh_s)

    path = case.load.path
    mats = material_fields(domain, material_state(materials, stress_free, path[0][1]))
    nonlinear = case.model.geometric_nonlinearity
    if nonlinear:
        forms = nonlinear_forms(domain, mats, formulation, case.model.degree)
    else:
        forms = thermoelastic_forms(domain, mats, formulation, case.model.degree)
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
    lo, hi = domain.extent()
    centre = _surface_centre(lo, hi, case, support_info)
    ctx = dict(case=case, domain=domain, forms=forms, materials=materials, stress_free=stress_free,
               formulation=formulation)
    # rigid modes the supports leave free: only their tilts are taken out of the warpage
    free_modes = support_info["rigid_modes_removed_by_points"]
    steps: list[StepSolution] = []
    reports: list[SolveReport] = []
    results_s = 0.0

    if not nonlinear:
        solver = ElasticSolver(forms.a, bcs, V, formulation, method, case.solver.rtol, case.solver.max_iterations,
                               "thermoelastic")
        moduli = None
        for name, T in path:
            mats.set(domain, material_state(materials, stress_free, T))
            if moduli is None or not np.array_equal(moduli, mats.E.x.array):
                solver.update_operator()  # assembled once per distinct stiffness
                moduli = mats.E.x.array.copy()
            u = fem.Function(V, name="displacement_m")
            report = solver.solve(forms.L, u.x.petsc_vec)
            u.x.scatter_forward()
            remove_rigid_motion(u, support_info["rigid_modes_removed_by_points"])
            reports.append(report)
            log.info("step %s (%.1f degC): %d dofs, %s, %d iterations, true residual %.2e, %.2f s", name,
                     T - 273.15, dofs, report.method, report.iterations, report.residual_rel,
                     report.solve_s)
            t0 = time.perf_counter()
            steps.append(_step_results(name, T, u, report, centre, ctx, free_modes))
            results_s += time.perf_counter() - t0
        solver.destroy()
    else:
        u = forms.u_state
        T_now = case.load.stress_free_temperature
        for name, T in path:
            report, n_inc = _continuation(forms, u, bcs, mats, domain, materials, stress_free, T_now, T, case,
                                          method, name, log)
            T_now = T
            reports.append(report)
            log.info("step %s (%.1f degC): %d dofs, %s, %d increments (%s halvings), %d Newton and %s linear "
                     "iterations, %.2f s", name, T - 273.15, dofs, report.method, n_inc, report.options["halvings"],
                     report.iterations, report.options["linear_iterations"], report.solve_s)
            snapshot = fem.Function(V, name="displacement_m")
            snapshot.x.array[:] = u.x.array
            t0 = time.perf_counter()
            steps.append(_step_results(name, T, snapshot, report, centre, ctx, free_modes))
            results_s += time.perf_counter() - t0

    return ThermoelasticSolution(case, domain, forms, materials, stress_free, formulation, support_info, steps,
                                 reports, warnings + _large_deflection_warnings(steps, lo, hi, nonlinear, log),
                                 mesh_s=mesh_s, results_s=results_s)


def _continuation(forms, u, bcs, mats, domain, materials, stress_free, T_from, T_to, case, method, name, log):
    """Newton continuation in temperature from T_from to T_to. An increment that fails is
    retried at half the size from the last converged state (down to 1/64 of
    model.max_increment); the step report sums Newton and linear iterations."""
    from solver.core.errors import SolveError

    dT_max = case.model.max_increment
    dT = min(dT_max, abs(T_to - T_from)) or dT_max
    sign = 1.0 if T_to >= T_from else -1.0
    T_now = T_from
    saved = u.x.array.copy()
    newton = linear = increments = halvings = 0
    elapsed = 0.0
    report = None
    while abs(T_to - T_now) > 1e-9:
        interrupt.check(domain.comm)
        Tk = T_now + sign * min(dT, abs(T_to - T_now))
        mats.set(domain, material_state(materials, stress_free, Tk))
        try:
            report = solve_nonlinear(forms.residual, u, bcs, case.model.formulation, method=method,
                                     rtol=case.solver.rtol, max_iterations=case.solver.max_iterations,
                                     name=f"large_deflection_{name}")
        except SolveError as exc:
            u.x.array[:] = saved
            dT /= 2
            halvings += 1
            if dT < dT_max / 64:
                exc.diagnostics["temperature_degC"] = Tk - 273.15
                exc.diagnostics["increment_K"] = 2 * dT
                raise
            log.info("  increment to %.2f degC failed; retrying with %.3g K", Tk - 273.15, dT)
            continue
        T_now = Tk
        saved = u.x.array.copy()
        increments += 1
        newton += report.iterations
        linear += int(report.options["linear_iterations"])
        elapsed += report.solve_s
        dT = min(dT_max, dT * 1.5)  # grow back after a cut
    if report is None:  # nothing to do: already at T_to
        mats.set(domain, material_state(materials, stress_free, T_to))
        report = solve_nonlinear(forms.residual, u, bcs, case.model.formulation, method=method,
                                 rtol=case.solver.rtol, max_iterations=case.solver.max_iterations,
                                 name=f"large_deflection_{name}")
        newton, linear, elapsed, increments = report.iterations, int(report.options["linear_iterations"]), \
            report.solve_s, 1
    report.iterations, report.solve_s = newton, elapsed
    report.options.update(linear_iterations=str(linear), increments=str(increments), halvings=str(halvings))
    return report, increments


def _step_results(name, T, u, report, centre, ctx, free_modes) -> StepSolution:
    """Post-process one step now: the material fields hold this step's state."""
    case, domain, forms = ctx["case"], ctx["domain"], ctx["forms"]
    sfield = stress_field(forms, u, case.model.degree)
    stats = region_stress_stats(domain, sfield, forms.weight, case.output.averaging_radius)
    surface = bottom_surface(domain, u, ctx["formulation"], centre, case.output.curvature_fit_fraction,
                             free_modes)
    tractions = interface_tractions(domain, forms.sigma(u), forms.weight, case.output.averaging_radius)
    bumps = _bumps(case, domain, sfield, forms.weight, centre)
    return StepSolution(name, T, u, sfield, surface, stats, tractions, bumps, report, **ctx)


def _bumps(case, domain, sfield, weight, centre) -> list[dict]:
    geo = case.geometry
    if geo.type != "csp" or geo.dimension != 3:
        return []
    sites = [s * 1e-6 for s in geo.bump_sites()[:-1]]
    regions = ["bump" if k == 0 else f"bump_{k + 1}" for k in range(len(sites))]
    return bump_table(domain, sfield, weight, sites, regions, centre)


def _large_deflection_warnings(steps, lo, hi, nonlinear, log) -> list[str]:
    out = []
    thickness = hi[-1] - lo[-1]
    for s in steps:
        if not nonlinear and s.surface is not None and s.surface.warpage > 0.5 * thickness:
            out.append(f"step {s.name!r}: warpage {1e6 * s.surface.warpage:.0f} um exceeds half the thickness "
                       f"({1e6 * thickness:.0f} um): small-deflection theory is leaving its range (it overestimates "
                       "large warpage; set model.geometric_nonlinearity = true)")
            log.warning("warning: %s", out[-1])
    return out


def _surface_centre(lo, hi, case, support_info) -> np.ndarray:
    """In-plane centre of the bottom surface of the full body (the axis if axisymmetric)."""
    c = symmetric_centre(lo, hi, support_info["symmetry_planes"])
    if case.model.formulation == "axisymmetric":
        c[0] = 0.0
    return c


def step_results(step: StepSolution) -> dict[str, float]:
    """Named scalars of one step, units in the names."""
    res: dict[str, float] = {
        "temperature_degC": step.temperature - 273.15,
        "max_displacement_um": 1e6 * _max_norm(step.u),
        "max_von_mises_MPa": max(s["max_von_mises"] for s in step.region_stats.values()) / 1e6,
    }
    if step.surface is not None:
        res["warpage_um"] = 1e6 * step.surface.warpage
        res["curvature_1_per_m"] = step.surface.curvature
        if step.domain.gdim == 3:
            res["curvature_max_1_per_m"], res["curvature_min_1_per_m"] = step.surface.curvature_principal
    for region, s in step.region_stats.items():
        res[f"max_von_mises_{region}_MPa"] = s["max_von_mises"] / 1e6
        res[f"mean_von_mises_{region}_MPa"] = s["mean_von_mises"] / 1e6
        res[f"max_principal_{region}_MPa"] = s["max_principal"] / 1e6
        res[f"min_principal_{region}_MPa"] = s["min_principal"] / 1e6
    for name, t in step.tractions.items():
        for key in ("mean_normal", "max_normal", "min_normal", "mean_shear", "max_shear"):
            res[f"{name}_{key}_MPa"] = t[key] / 1e6
    if step.bumps:
        first = [b for b in step.bumps if b["arrangement"] == 1]
        corner = max(first, key=lambda b: b["distance_from_centre_um"])
        inner = min(first, key=lambda b: b["distance_from_centre_um"])
        res["corner_bump_mean_von_mises_MPa"] = corner["mean_von_mises_MPa"]
        res["centre_bump_mean_von_mises_MPa"] = inner["mean_von_mises_MPa"]
    return res


def results_of(sol: ThermoelasticSolution) -> tuple[dict, dict | None]:
    """One step: its scalars. Several: each prefixed with the step name."""
    if len(sol.steps) == 1:
        res = step_results(sol.steps[0])
    else:
        res = {}
        for step in sol.steps:
            res.update({f"{step.name}_{k}": v for k, v in step_results(step).items()})
    reference = None
    if sol.case.validation is not None:
        if len(sol.steps) != 1:
            raise CaseError("validation.benchmark: a validation case has one load step")
        measured, reference = benchmarks.evaluate(sol.case, sol.steps[0])
        res.update(measured)
    return res, reference


def _max_norm(u: fem.Function) -> float:
    bs = u.function_space.dofmap.index_map_bs
    n = u.function_space.dofmap.index_map.size_local
    local = np.linalg.norm(u.x.array.reshape(-1, bs)[:n], axis=1)
    return u.function_space.mesh.comm.allreduce(float(local.max()) if n else 0.0, op=MPI.MAX)


def _like(f: fem.Function) -> fem.Function:
    return fem.Function(f.function_space, name=f.name)


def _write_fields(sol: ThermoelasticSolution, staging: Staging, vtx: bool) -> list[str]:
    """fields/displacement.pvd (the displacement, P_k) and fields/stress.pvd (stress tensor,
    von Mises and principal stresses in DG(k-1), exact; with the displacement's vertex
    values, to warp by), one time per load step (time = step index; steps.csv maps it to
    the step). Collective."""
    from solver.core.fields import FieldFiles

    last = sol.steps[-1]
    # Buffers of their own: copying each step into the last step's functions would overwrite
    # the last step before it is written (and before the picture reads it).
    u_out = _like(last.u)
    names = ("tensor", "von_mises", "principal")
    s_out = [_like(getattr(last.stress, f)) for f in names]
    with FieldFiles(staging, sol.domain.comm, vtx) as ff:
        for i, step in enumerate(sol.steps):
            u_out.x.array[:] = step.u.x.array
            for buf, f in zip(s_out, names):
                buf.x.array[:] = getattr(step.stress, f).x.array
            ff.write("displacement", sol.domain, [u_out], float(i))
            ff.write("stress", sol.domain, s_out + [u_out], float(i))
    return ff.files


def write_outputs(sol: ThermoelasticSolution, staging: Staging, results: dict, reference, t_start: float,
                  resolved: dict, source: str) -> dict:
    comm = sol.domain.comm
    case = sol.case
    last = sol.steps[-1]
    files = ["summary.json", "case.resolved.json", "steps.csv"]
    files += ["bottom_profile.csv"] if last.surface else []
    if case.output.fields:
        files += _write_fields(sol, staging, case.fields.vtx)
    if case.output.picture:
        from solver.mechanics.picture import thermoelastic_picture

        # The picture shows the worst step of the load path (highest von Mises), not the last.
        shown = max(sol.steps, key=lambda s: max(st["max_von_mises"] for st in s.region_stats.values()))
        n_cells = sol.domain.mesh.topology.index_map(sol.domain.tdim).size_local
        vm_dofs = shown.stress.von_mises.function_space.dofmap.list[:n_cells]
        vm_cell = shown.stress.von_mises.x.array[vm_dofs].mean(axis=1)
        title = case.name if len(sol.steps) == 1 else f"{case.name}, step {shown.name}"
        panels = case.geometry.sections() if (sol.domain.gdim == 3 and hasattr(case.geometry, "sections")) else None
        if thermoelastic_picture(staging.file("thermoelastic.png"), shown.u, vm_cell, shown.surface, title,
                                 sol.formulation, panels):
            files.append("thermoelastic.png")
    if any(step.bumps for step in sol.steps):
        files.append("bumps.csv")

    per_step = [step_results(s) for s in sol.steps]  # collective: before the rank-0 writes
    wall_s = comm.allreduce(time.perf_counter() - t_start, op=MPI.MAX)
    peak_mb = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, op=MPI.MAX)
    solver_info = sol.reports[-1].as_dict()
    solver_info["per_step"] = [{"step": s.name, "iterations": r.iterations, "residual_rel": r.residual_rel,
                                "solve_s": round(r.solve_s, 4)} for s, r in zip(sol.steps, sol.reports)]
    solver_info["results_s"] = round(sol.results_s, 4)
    data = summary(
        case.name, case.kind, "ok", comm.size, sol.dofs, wall_s, results, reference,
        source=source,
        steps=[{"name": s.name, "temperature_degC": s.temperature - 273.15, "index": i}
               for i, s in enumerate(sol.steps)],
        solver=solver_info,
        mesh={"cells": sol.domain.info["cells"], "vertices": sol.domain.info["vertices"],
              "mesh_s": round(sol.mesh_s, 4), "geometry_order": sol.domain.info["geometry_order"],
              "cells_per_region": sol.domain.info["element_counts"]},
        supports=sol.supports,
        averaging_radius_um=1e6 * case.output.averaging_radius,
        peak_memory_per_rank_MB=round(peak_mb, 1),
        warnings=sol.warnings,
        files=sorted(files),
    )
    if comm.rank == 0:
        atomic_write_json(staging.file("case.resolved.json"), resolved)
        if last.surface is not None:
            _write_profile(staging, last)
        _write_steps(staging, sol, per_step)
        if any(step.bumps for step in sol.steps):
            _write_bumps(staging, sol)
        atomic_write_json(staging.file("summary.json"), data)
    return data


def _write_steps(staging: Staging, sol: ThermoelasticSolution, per_step: list[dict]) -> None:
    """steps.csv: the engineer's table, one row per load step."""
    keys = [k for k in per_step[0] if all(k in r for r in per_step)]
    header = ["index", "step"] + keys
    lines = [",".join(header)]
    for i, (step, r) in enumerate(zip(sol.steps, per_step)):
        lines.append(",".join([str(i), step.name] + [f"{r[k]:.8g}" for k in keys]))
    from solver.core.output import atomic_write_text

    atomic_write_text(staging.file("steps.csv"), "\n".join(lines) + "\n")


def _write_bumps(staging: Staging, sol: ThermoelasticSolution) -> None:
    rows = [dict(step=s.name, **b) for s in sol.steps for b in s.bumps]
    header = list(rows[0])
    lines = [",".join(header)] + [",".join(f"{r[h]:.8g}" if isinstance(r[h], float) else str(r[h])
                                           for h in header) for r in rows]
    from solver.core.output import atomic_write_text

    atomic_write_text(staging.file("bumps.csv"), "\n".join(lines) + "\n")


def _write_profile(staging: Staging, step: StepSolution) -> None:
    """bottom_profile.csv: the bottom surface's out-of-plane displacement, sorted by x."""
    order = np.argsort(step.surface.points[:, 0], kind="stable")
    pts = step.surface.points[order]
    header = ["r_um" if step.formulation == "axisymmetric" else "x_um"]
    cols = [1e6 * pts[:, 0]]
    if step.domain.gdim == 3:
        header.append("y_um")
        cols.append(1e6 * pts[:, 1])
    header.append("w_um")
    cols.append(1e6 * step.surface.w[order])
    write_csv(staging.file("bottom_profile.csv"), header, np.column_stack(cols))
