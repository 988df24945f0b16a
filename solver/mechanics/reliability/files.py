"""The files of a reliability run: summary.json (the worst joint and its life under each
law), cycles.csv (per cycle and volume), steps.csv (per step: time, temperature, warpage,
averages), bumps.csv (the life table), hysteresis.csv/.png at the probe, warpage.csv/.png
(warpage against temperature, the curve shadow moire measures), and the fields at every
cycle end (fields/state.pvd, VTU)."""

from __future__ import annotations

import math
import resource
import time

import numpy as np
from mpi4py import MPI

import dolfinx.fem as fem

from solver.core.output import atomic_write_json, atomic_write_text, summary
from solver.mechanics.reliability import cycles as cyc

LAWS = (("coffin_manson", "life_coffin_manson_cycles"), ("engelmaier", "life_engelmaier_cycles"),
        ("darveaux", "life_darveaux_cycles"))


def results_of(sim) -> tuple[dict, list[dict]]:
    """Named scalars (units in the names) and the life table of the last complete cycle."""
    res: dict[str, float] = {}
    recs = sim.records
    w = np.array([r.warpage for r in recs])
    if np.isfinite(w).any():
        res["warpage_max_um"] = 1e6 * float(np.nanmax(w))
        res["warpage_min_um"] = 1e6 * float(np.nanmin(w))
        res["warpage_end_um"] = 1e6 * float(w[-1])
    res["cycles_completed"] = float(len(sim.cycles))
    res["steps"] = float(len(recs) - 1)
    table: list[dict] = []
    if sim.cycles:
        last = sim.cycles[-1]
        if math.isfinite(last["warpage_range_um"]):
            res["warpage_range_last_cycle_um"] = last["warpage_range_um"]
        for name, v in last["volumes"].items():
            res[f"{name}_energy_density_per_cycle_kJ_per_m3"] = v["energy_density_J_per_m3"] / 1e3
            res[f"{name}_inelastic_strain_range"] = v["inelastic_strain_range"]
        start, end = last["start_s"], last["end_s"]
        table = cyc.life_table(last, sim.layers, sim.case.fatigue, sim.darveaux, end - start)
        for law, key in LAWS:
            lives = [(row[key], row["joint"]) for row in table if key in row]
            finite = [x for x in lives if math.isfinite(x[0])]
            if finite:
                life, joint = min(finite)
                res[f"worst_life_{law}_cycles"] = life
                res.setdefault("worst_joint_index", float([r["joint"] for r in table].index(joint)))
    else:
        for name, v in (recs[-1].volumes if recs else {}).items():
            res[f"{name}_energy_density_kJ_per_m3"] = (v["work"] - recs[0].volumes[name]["work"]) / 1e3
            res[f"{name}_accumulated_inelastic_strain"] = v["accumulated"] - recs[0].volumes[name]["accumulated"]
    return res, table


def write_outputs(sim, staging, t_start: float, resolved: dict, source: str) -> dict:
    comm = sim.comm
    case = sim.case
    results, table = results_of(sim)
    files = ["summary.json", "case.resolved.json", "steps.csv", "warpage.csv"]
    if sim.cycles:
        files.append("cycles.csv")
    if table:
        files.append("bumps.csv")
    if sim.probe is not None:
        files.append("hysteresis.csv")
    if case.output.fields and sim.snapshots:
        files += _write_fields(sim, staging)
    wall_s = comm.allreduce(time.perf_counter() - t_start, op=MPI.MAX)
    peak_mb = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, op=MPI.MAX)
    worst = None
    if table:
        key = next((k for _, k in LAWS if k in table[0]), None)
        if key is not None:
            worst = min(table, key=lambda r: r[key])["joint"]
    newton = [r.iterations for r in sim.reports[1:]]
    if comm.rank == 0:
        if case.output.picture:
            from solver.mechanics.reliability.picture import hysteresis_picture, warpage_picture

            if warpage_picture(staging.file("warpage.png"), sim.records, case.name):
                files.append("warpage.png")
            if sim.probe is not None and hysteresis_picture(staging.file("hysteresis.png"), sim.records,
                                                            sim.probe, case.name):
                files.append("hysteresis.png")
    data = summary(
        case.name, case.kind, "ok", comm.size, sim.dofs, wall_s, results,
        source=source,
        worst_joint=worst,
        joints=[{k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in row.items()}
                for row in table],
        cycles=[{"cycle": c["cycle"], "start_s": c["start_s"], "end_s": c["end_s"],
                 "warpage_range_um": c["warpage_range_um"] if math.isfinite(c["warpage_range_um"]) else None,
                 "mean_temperature_degC": c["mean_temperature_K"] - 273.15,
                 "volumes": c["volumes"]} for c in sim.cycles],
        stopped_at_stabilised_cycle=sim.stopped_early,
        resumed_at_s=sim.resumed_at,
        averaging_volumes=[{"name": layer.name, "region": layer.region, "interface": layer.interface,
                            "interface_axis": "xyz"[layer.axis], "interface_at_um": 1e6 * layer.coordinate,
                            "thickness_um": 1e6 * layer.thickness, "centre_um": (1e6 * layer.centre).tolist(),
                            "crack_length_um": 1e6 * layer.crack_length, "volume_m3_or_m2rad": layer.volume,
                            "definition": "quadrature points of the region within the layer thickness of "
                                          "the interface plane, inside the interface's lateral extent"}
                           for layer in sim.layers],
        solver={"method": sim.method, "steps": len(newton), "newton_iterations": int(sum(newton)),
                "newton_per_step_mean": float(np.mean(newton)) if newton else 0.0,
                "linear_iterations": int(sum(r.linear_iterations for r in sim.reports)),
                "line_search_cuts": int(sum(r.line_search_cuts for r in sim.reports)),
                "rejected_steps": int(sim.stepper.rejected), "material_update_s": round(sim.material_s, 3),
                "stepping_s": round(sim.step_s, 3)},
        mesh={"cells": sim.domain.info["cells"], "vertices": sim.domain.info["vertices"],
              "cells_per_region": sim.domain.info["element_counts"]},
        materials={r: {"model": law.model.name, "source": getattr(law.model, "source", "") or law.material.source}
                   for r, law in sim.laws.items()},
        peak_memory_per_rank_MB=round(peak_mb, 1),
        warnings=sim.warnings,
        files=sorted(files),
    )
    if comm.rank == 0:
        atomic_write_json(staging.file("case.resolved.json"), resolved)
        _write_steps(staging, sim)
        _write_warpage(staging, sim)
        if sim.cycles:
            _write_cycles(staging, sim)
        if table:
            _write_table(staging.file("bumps.csv"), table)
        if sim.probe is not None:
            _write_hysteresis(staging, sim)
        atomic_write_json(staging.file("summary.json"), data)
    return data


def _fmt(v) -> str:
    if isinstance(v, str):
        return v
    return f"{v:.12g}"


def _write_table(path, rows: list[dict]) -> None:
    header = list(dict.fromkeys(k for r in rows for k in r))
    lines = [",".join(header)] + [",".join(_fmt(r.get(h, "")) for h in header) for r in rows]
    atomic_write_text(path, "\n".join(lines) + "\n")


def _write_steps(staging, sim) -> None:
    rows = []
    for r in sim.records:
        row = {"time_s": r.time, "temperature_degC": r.temperature - 273.15, "cycle": float(r.cycle + 1),
               "warpage_um": 1e6 * r.warpage, "curvature_1_per_m": r.curvature,
               "newton_iterations": float(r.newton), "linear_iterations": float(r.linear),
               "step_s": r.seconds, "material_update_s": r.material_seconds}
        for name, v in r.volumes.items():
            row[f"{name}_accumulated_inelastic_strain"] = v["accumulated"]
            row[f"{name}_work_J_per_m3"] = v["work"]
        rows.append(row)
    _write_table(staging.file("steps.csv"), rows)


def _write_warpage(staging, sim) -> None:
    rows = [{"time_s": r.time, "temperature_degC": r.temperature - 273.15, "warpage_um": 1e6 * r.warpage,
             "curvature_1_per_m": r.curvature} for r in sim.records]
    _write_table(staging.file("warpage.csv"), rows)


def _write_cycles(staging, sim) -> None:
    rows = []
    for c in sim.cycles:
        for name, v in c["volumes"].items():
            rows.append({"cycle": float(c["cycle"]), "volume": name,
                         "energy_density_J_per_m3": v["energy_density_J_per_m3"],
                         "inelastic_strain_range": v["inelastic_strain_range"],
                         "accumulated_inelastic_strain": v["accumulated_inelastic_strain"],
                         "warpage_range_um": c["warpage_range_um"]})
    _write_table(staging.file("cycles.csv"), rows)


def _write_hysteresis(staging, sim) -> None:
    names = ("xx", "yy", "zz", "yz", "xz", "xy")
    scale = np.array([1, 1, 1, 2 ** -0.5, 2 ** -0.5, 2 ** -0.5])  # Mandel -> tensor components
    rows = []
    for r in sim.records:
        row = {"time_s": r.time, "temperature_degC": r.temperature - 273.15}
        for key, unit, f in (("stress", "MPa", 1e-6), ("strain", "", 1.0), ("inelastic_strain", "", 1.0)):
            vals = r.probe[key] * scale * f
            for n, v in zip(names, vals):
                row[f"{key}_{n}{'_' + unit if unit else ''}"] = v
        rows.append(row)
    _write_table(staging.file("hysteresis.csv"), rows)


def _write_fields(sim, staging) -> list[str]:
    """fields/state.pvd: the displacement and the cell averages (equivalent inelastic
    strain, inelastic work density, von Mises) at every cycle end (or the history's end),
    at its time in seconds. Collective; returns the files written."""
    from solver.core.fields import FieldFiles

    msh = sim.domain.mesh
    u = fem.Function(sim.problem.V, name="displacement_m")
    Q0 = fem.functionspace(msh, ("DG", 0))
    cells = {k: fem.Function(Q0, name=k) for k in sim.snapshots[0][3]}
    with FieldFiles(staging, sim.comm, sim.case.fields.vtx) as ff:
        for _label, t, u_arr, fields in sim.snapshots:
            u.x.array[:] = u_arr
            for k, f in cells.items():
                f.x.array[: len(fields[k])] = fields[k][: len(f.x.array)]
            ff.write("state", sim.domain, [u, *cells.values()], t)
    return ff.files
