"""A reliability case end to end: mesh, region laws, the temperature history stepped with
inelastic materials, per-step and per-cycle results in the averaging volumes, the fatigue
life table, files.

The run starts from the instantaneous (elastic) equilibrium at the history's first
temperature, each material free of stress at its own stress-free temperature. A step that
does not converge is undone (the committed state was never touched) and retried shorter;
steps land on every corner of the history."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from mpi4py import MPI

import dolfinx.fem as fem

from solver.core import interrupt
from solver.core.case import CaseError, case_digest
from solver.core.domain import build_domain
from solver.core.errors import SolveError
from solver.core.kind import RunContext
from solver.core.output import Staging
from solver.core.progress import Progress
from solver.mechanics.inelastic.model import Elastic
from solver.mechanics.inelastic_problem import InelasticProblem, NewtonReport, RegionLaw
from solver.mechanics.profile import StepTooSmall, Stepper, TemperatureProfile, from_points, thermal_cycle
from solver.mechanics.reliability import checkpoint
from solver.mechanics.reliability import cycles as cyc
from solver.mechanics.reliability.materials import cure_eigenstrain, darveaux_constants, point_model
from solver.mechanics.reliability.schema import ReliabilityCase
from solver.mechanics.reliability.volumes import Layer, Probe, averaging_layers, nearest_point
from solver.mechanics.results import bottom_surface, remove_rigid_motion
from solver.mechanics.schema import resolve_materials
from solver.mechanics.supports import build_supports, symmetric_centre


def run_reliability(case: ReliabilityCase, ctx: RunContext) -> dict:
    """Solve the history -> results -> files (staged, summary.json last)."""
    sim = Simulation(case, ctx.comm, ctx.log)
    sim.run(ctx.out, ctx.restart, case_digest(ctx.resolved))
    from solver.mechanics.reliability.files import write_outputs

    staging = Staging(ctx.out, ctx.comm)
    try:
        data = write_outputs(sim, staging, ctx.t0, ctx.resolved, ctx.source)
        staging.commit()
    except BaseException:
        staging.discard()
        raise
    return data


def temperature_history(case: ReliabilityCase) -> TemperatureProfile:
    load = case.load
    try:
        if load.cycle is not None:
            c = load.cycle
            start = c.start if c.start is not None else load.stress_free_temperature
            return thermal_cycle(c.low, c.high, c.ramp, c.dwell, c.cycles, start)
        return from_points([tuple(p) for p in load.profile.points], load.profile.repeat)
    except ValueError as exc:
        raise CaseError(f"load: {exc}") from None


def region_laws(case: ReliabilityCase) -> dict[str, RegionLaw]:
    materials, stress_free = resolve_materials(case)
    laws = {}
    for region, material in materials.items():
        spec = case.inelastic.get(region)
        model = point_model(f"inelastic.{region}", spec) if spec is not None else Elastic()
        laws[region] = RegionLaw(model, material, stress_free[region], cure_eigenstrain(spec))
    return laws


@dataclass
class Simulation:
    case: ReliabilityCase
    comm: MPI.Comm
    log: object
    records: list = field(default_factory=list)
    cycles: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)  # (label, time, u array, cell fields)
    reports: list = field(default_factory=list)
    stopped_early: bool = False
    resumed_at: float | None = None
    warnings: list = field(default_factory=list)

    def __post_init__(self):
        case, log = self.case, self.log
        t0 = time.perf_counter()
        self.domain = build_domain(case.geometry, self.comm, order=case.mesh_order, algorithm=case.mesh.algorithm,
                                   threads=case.mesh.threads, max_cells=case.mesh.max_cells)
        log.info("mesh: %d cells, %d vertices (%s) in %.2f s", self.domain.info["cells"],
                 self.domain.info["vertices"], case.geometry.type, time.perf_counter() - t0)
        self.profile = temperature_history(case)
        self.laws = region_laws(case)
        self.support_info = {}

        def bcs_of(V):
            try:
                bcs, self.support_info = build_supports(V, self.domain, case.model.formulation,
                                                        case.supports.symmetry, case.supports.clamped)
            except ValueError as exc:
                raise CaseError(f"supports: {exc}") from None
            return bcs

        V_dofs = None
        method = case.solver.method
        if method == "auto":
            gdim = self.domain.gdim
            # P2 has about 8x (3D) / 4x (2D) the vertices' dofs; the choice only needs the size
            V_dofs = self.domain.info["vertices"] * gdim * (8 if gdim == 3 else 4) ** (case.model.degree - 1)
            method = "direct" if V_dofs < case.solver.direct_below_dofs else "iterative"
        self.method = method
        self.problem = InelasticProblem(self.domain, case.model.formulation, case.model.degree, self.laws, bcs_of,
                                        method=method, rtol=case.solver.rtol,
                                        max_iterations=case.solver.max_iterations,
                                        newton_max_it=case.stepping.max_newton_iterations, name="reliability")
        V = self.problem.V
        self.dofs = V.dofmap.index_map.size_global * V.dofmap.index_map_bs
        lo, hi = self.domain.extent()
        self.centre = symmetric_centre(lo, hi, self.support_info.get("symmetry_planes", []))
        if case.model.formulation == "axisymmetric":
            self.centre[0] = 0.0
        self.layers: list[Layer] = [layer for i, v in enumerate(case.averaging)
                                    for layer in averaging_layers(self.domain, self.problem, v, f"averaging[{i}]",
                                                                  self.centre,
                                                                  case.model.formulation == "axisymmetric")]
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names):
            raise CaseError("averaging: two volumes share a name (a per_joint volume's <name>_k among them?)")
        self.inelastic_regions = [r for r, law in self.laws.items() if not isinstance(law.model, Elastic)]
        probe = case.output.probe
        self.probe: Probe | None = nearest_point(self.domain, self.problem, probe.region, probe.point) \
            if probe is not None else None
        self.darveaux = darveaux_constants(case.fatigue.darveaux) if case.fatigue.darveaux is not None else None
        self.spans = self.profile.cycle_bounds
        self.material_s = 0.0
        self.step_s = 0.0
        self.progress: Progress | None = None

    # -- stepping -----------------------------------------------------------------------------
    def run(self, out: Path | None = None, restart: bool = False, digest: str = "") -> None:
        """Step through the history; with ``out``, checkpoint every step there
        (``restart``: go on from the checkpoint instead of starting)."""
        case, log, prob, profile = self.case, self.log, self.problem, self.profile
        log.info("history: %.0f s, %d corners, %d cycle(s); %d dofs, %s; inelastic regions: %s", profile.end_time,
                 len(profile.corners), len(self.spans), self.dofs, self.method,
                 ", ".join(f"{r} ({self.laws[r].model.name})" for r in self.inelastic_regions) or "none")
        st = case.stepping
        stepper = Stepper(profile, st.initial_step, st.max_step, st.min_step, target_iterations=st.target_iterations,
                          max_temperature_step_K=st.max_temperature_step, dt_at_corner_reset=False)
        self.stepper = stepper
        self.digest = digest
        layout = checkpoint.Layout(prob) if out is not None else None
        path = Path(out) / checkpoint.NAME if out is not None else None
        span_ends = [b for _, b in self.spans]
        span_starts = [a for a, _ in self.spans]
        meta, arrays = checkpoint.load(path, digest, self.comm) if restart else (None, None)
        if restart and meta is None:
            log.info("--restart: no checkpoint in %s yet; starting from the beginning", path.parent)
        if meta is not None:
            t, stepper_state = checkpoint.restore(self, layout, meta, arrays)
            stepper.restore(stepper_state)
            self.cycles = cyc.cycle_results(self.records, self.spans[: meta["cycles_done"]])
            self._attach_peaks()
            self.resumed_at = t
            log.info("resumed at t = %.6g s (%d steps, %d cycles done)", t, len(self.records) - 1, len(self.cycles))
        else:
            T_start = float(profile.temperature(0.0))
            rep = prob.start(T_start, case.load.solidify)  # the instantaneous equilibrium
            prob.commit()
            self._record(0.0, T_start, rep)
            t = 0.0
            self._work_at_cycle_start = self._point_work() if 0.0 in span_starts else None
            if path is not None:
                if self.comm.rank == 0:
                    path.parent.mkdir(parents=True, exist_ok=True)
                checkpoint.save(path, self, layout, t, stepper)
        step_started, step_material = None, 0.0  # a step's clock runs through its retries
        self.progress = Progress(profile.end_time, start=t)
        while t < profile.end_time * (1 - 1e-12):
            interrupt.check(self.comm)
            t1 = stepper.next_step(t)
            T0, T1 = float(profile.temperature(t)), float(profile.temperature(t1))
            if step_started is None:
                step_started, step_material = time.perf_counter(), 0.0
            try:
                rep = prob.solve_step(t, t1, T0, T1)
            except SolveError as exc:
                try:
                    stepper.failed()
                except StepTooSmall as small:
                    exc.diagnostics.update(time_s=t, step_s=small.dt, min_step_s=small.min_dt)
                    raise SolveError(f"the time step fell below stepping.min_step at t = {t:.6g} s "
                                     f"({T0 - 273.15:.2f} degC): {exc}", exc.diagnostics) from None
                log.info("  step to t = %.6g s failed (%s); cut back", t1, str(exc).split(":")[0])
                step_material += exc.diagnostics.get("material_s", 0.0)
                continue
            prob.commit()
            stepper.converged(rep.iterations)
            seconds = time.perf_counter() - step_started
            material = step_material + rep.material_s
            step_started = None
            self.step_s += seconds
            self.material_s += material
            t = t1
            self._record(t, T1, rep)
            self.records[-1].seconds, self.records[-1].material_seconds = seconds, material
            k = next((i for i, b in enumerate(span_ends) if abs(b - t) <= 1e-9 * max(b, 1.0)), None)
            if k is not None:
                self._end_of_cycle(k)
            if any(abs(a - t) <= 1e-9 * max(a, 1.0) for a in span_starts):
                self._work_at_cycle_start = self._point_work()
            if path is not None:
                checkpoint.save(path, self, layout, t, stepper)
            # the joints' volumes decide when there are any (what a life reads), else the regions
            judged = [layer.name for layer in self.layers] or None
            if k is not None and st.stop_when_stable and cyc.stabilised(self.cycles, st.stable_change, judged):
                log.info("cycle %d: dW changed by less than %.1f %% in every volume: stabilised, stopping",
                         k + 1, 100 * st.stable_change)
                self.stopped_early = True
                break
        if not self.spans or not self.cycles:
            self._snapshot("end", t)
        lo, hi = self.domain.extent()
        thickness = hi[-1] - lo[-1]
        w = max((r.warpage for r in self.records if math.isfinite(r.warpage)), default=0.0)
        if w > 0.5 * thickness:
            self.warnings.append(f"warpage {1e6 * w:.0f} um exceeds half the thickness ({1e6 * thickness:.0f} um): "
                                 "small-deflection theory overestimates it there (inelastic models are solved "
                                 "small-strain, without the large-deflection option of thermoelastic cases)")
            log.warning("warning: %s", self.warnings[-1])

    def _record(self, t: float, T: float, rep: NewtonReport) -> None:
        rec = cyc.StepRecord(time=t, temperature=T, cycle=self.profile.in_cycle(t) if t > 0 else -1,
                             warpage=math.nan, curvature=math.nan, newton=rep.iterations,
                             linear=rep.linear_iterations)
        for layer in self.layers:
            rec.volumes[layer.name] = self._average(layer.region, layer.mask)
        for region in self.inelastic_regions:
            rec.volumes[f"region_{region}"] = self._average(region, None)
        surface = self._surface()
        if surface is not None:
            rec.warpage, rec.curvature = surface.warpage, surface.curvature
        if self.probe is not None:
            rec.probe = self._probe_values()
        self.records.append(rec)
        self.reports.append(rep)
        if rep.iterations:
            self.log.info("t = %9.1f s  %7.2f degC  Newton %d (%d linear)  warpage %s  [%s]", t, T - 273.15,
                          rep.iterations, rep.linear_iterations,
                          f"{1e6 * rec.warpage:.3f} um" if math.isfinite(rec.warpage) else "-",
                          self.progress.tag(t) if self.progress is not None else "start")

    def _average(self, region: str, mask) -> dict:
        p = self.problem.points[region]
        state = p["state"][:, :8]
        avg = self.problem.region_average(region, state, mask)
        return {"inelastic_strain": avg[:6], "accumulated": float(avg[6]), "work": float(avg[7])}

    def _surface(self):
        u = fem.Function(self.problem.V)
        u.x.array[:] = self.problem.u.x.array
        remove_rigid_motion(u, self.support_info.get("rigid_modes_removed_by_points", []))
        return bottom_surface(self.domain, u, self.case.model.formulation, self.centre,
                              self.case.output.curvature_fit_fraction,
                              self.support_info.get("rigid_modes_removed_by_points"))

    def _probe_values(self) -> dict:
        pr = self.probe
        vals = np.zeros(18)
        if self.comm.rank == pr.rank:
            p = self.problem.points[pr.region]
            vals[:6] = p["trial_stress"][pr.index]
            vals[6:12] = p["trial_strain"][pr.index]
            vals[12:] = p["state"][pr.index, :6]
        vals = self.comm.allreduce(vals, op=MPI.SUM)
        return {"stress": vals[:6], "strain": vals[6:12], "inelastic_strain": vals[12:]}

    def _attach_peaks(self) -> None:
        for cycle, pk in zip(self.cycles, getattr(self, "_peaks", [])):
            for r, value in pk.items():
                cycle["volumes"][f"region_{r}"]["peak_energy_density_J_per_m3"] = value

    def _point_work(self) -> dict[str, np.ndarray]:
        return {r: self.problem.points[r]["state"][:, 7].copy() for r in self.inelastic_regions}

    def _end_of_cycle(self, k: int) -> None:
        peaks = {}
        if self._work_at_cycle_start is not None:
            # the largest energy density of the cycle at one quadrature point: mesh-dependent at
            # singular edges, reported to show it, never used for a life
            for r, start in self._work_at_cycle_start.items():
                d = self.problem.points[r]["state"][:, 7] - start
                peaks[r] = self.comm.allreduce(float(d.max()) if len(d) else -np.inf, op=MPI.MAX)
        self._peaks = getattr(self, "_peaks", []) + [peaks]
        self.cycles = cyc.cycle_results(self.records, self.spans[: k + 1])
        self._attach_peaks()
        c = self.cycles[-1]
        parts = [f"{n}: dW {v['energy_density_J_per_m3'] / 1e3:.4g} kJ/m^3, range {v['inelastic_strain_range']:.3e}"
                 for n, v in c["volumes"].items() if not n.startswith("region_")]
        self.log.info("cycle %d done: warpage range %.3f um; %s", k + 1, c["warpage_range_um"], "; ".join(parts))
        self._snapshot(f"cycle_{k + 1}", self.records[-1].time)

    def _snapshot(self, label: str, t: float) -> None:
        if not self.case.output.fields:
            return
        self.snapshots.append((label, t, self.problem.u.x.array.copy(), self.cell_fields()))

    def cell_fields(self) -> dict[str, np.ndarray]:
        """Cell averages (DG0 arrays) of the equivalent inelastic strain, the inelastic work
        density and the von Mises stress."""
        msh = self.domain.mesh
        n = msh.topology.index_map(self.domain.tdim).size_local + msh.topology.index_map(self.domain.tdim).num_ghosts
        out = {k: np.zeros(n) for k in ("accumulated_inelastic_strain", "inelastic_work_J_per_m3",
                                        "von_mises_Pa")}
        from solver.mechanics.inelastic.tensors import equivalent_stress

        for region, p in self.problem.points.items():
            if len(p["cells"]) == 0:
                continue
            w = p["volume"]  # (ncells, nq)
            nq = w.shape[1]

            def cell_mean(v):
                return (w * v.reshape(-1, nq)).sum(axis=1) / w.sum(axis=1)

            out["accumulated_inelastic_strain"][p["cells"]] = cell_mean(p["state"][:, 6])
            out["inelastic_work_J_per_m3"][p["cells"]] = cell_mean(p["state"][:, 7])
            if p.get("trial_stress") is not None:
                out["von_mises_Pa"][p["cells"]] = cell_mean(equivalent_stress(p["trial_stress"]))
        return out
