"""``sprout run`` of a fill case: the deposit's surface grown at feature scale.

Results: fill time (when the concavity and the film's hole are full), voids (count,
volume, fraction of the concavity, position and closing time of the largest), seams
(pockets thinner than one growth step), the fill fraction reached, the start's current
distribution on the wall (mean, min, max, Wagner number for secondary kinetics), the coat
on the etched wall while it is still open (min, max, mean thickness, uniformity), charge,
deposited volume and mass and the Faraday balance (deposited volume against the charge:
the explicit steps' geometric error). For a coaxial cell the inner cylinder's radius.
Files: ``fill_history.csv``, ``fronts.csv`` (the surface about every 5 % of fill),
``coat_profile.csv``, ``fill.png``; ``checkpoint.json`` is kept beside them (``--restart``).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from mpi4py import MPI

from solver.core.case import CaseError, case_digest
from solver.core.errors import SolveError
from solver.core.kind import RunContext
from solver.core.materials import library_material
from solver.core.output import (
    atomic_write_json,
    atomic_write_text,
    concavity_toml,
    field_writer,
    summary,
    write_csv,
    write_from_root,
)
from solver.fronts.polyline import signed_area
from solver.plating.electrochem import FARADAY, charge_transfer_resistance, uniformity, wagner_number
from solver.plating.fill import (
    Electrochemistry,
    coat_profile,
    concavity_section,
    cylinder_section,
    load_checkpoint,
    run_growth,
)


def section_of(case):
    geo, g = case.geometry, case.growth
    if geo.type == "substrate":
        return concavity_section(geo, g.front_element_size)
    return cylinder_section(geo.radius, geo.far, g.front_element_size, geo.element_size)


def electrochemistry_of(case) -> Electrochemistry:
    el, c, op = case.electrolyte, case.cathode, case.operation
    return Electrochemistry(el.conductivity, c.electrode(),
                            case.temperature, op.cell_voltage, op.current_density, el.diffusivity,
                            el.bulk_concentration, el.valence, op.continuation_steps,
                            anion=(el.anion_diffusivity, el.anion_valence) if el.binary else None)


def run_fill(case, ctx: RunContext) -> dict:
    """Start (or resume) -> grow -> results -> files."""
    out, comm, log, t0, source, resolved = ctx.out, ctx.comm, ctx.log, ctx.t0, ctx.source, ctx.resolved
    restart = ctx.restart
    section = section_of(case)
    echem = electrochemistry_of(case)
    deposit = library_material(case.growth.deposit)
    digest = case_digest(resolved)
    checkpoint = out / "checkpoint.json"
    state = resumed_state(checkpoint, digest, comm, log) if restart else None
    restart = state is not None
    if not restart and comm.rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        checkpoint.unlink(missing_ok=True)
    t_solve = time.perf_counter()
    g = case.growth
    state = run_growth(section, echem, deposit, g.efficiency, g.time, g.max_advance, comm, log,
                       checkpoint=checkpoint, digest=digest, state=state, stop_when_filled=g.stop_when_filled)
    solve_s = time.perf_counter() - t_solve
    if state.step == 0 and not restart:
        raise SolveError("fill: no growth step was taken", {"time_s": state.time})
    coat = coat_profile(section, state)
    results = results_of(case, section, state, deposit, echem, coat[:, 3])

    def write(staging) -> dict:
        hist = np.array(state.history)
        target = section.target_volume()
        write_csv(staging.file("fill_history.csv"),
                  ["time_min", "deposited_um3", "fill_fraction", "current_A", "void_volume_um3",
                   "min_current_density_A_per_m2", "max_current_density_A_per_m2"],
                  np.column_stack([hist[:, 0] / 60, hist[:, 1] * 1e18,
                                   hist[:, 1] / target if math.isfinite(target) else np.full(len(hist), np.nan),
                                   hist[:, 2], hist[:, 3] * 1e18, hist[:, 5], hist[:, 6]]))
        rows = [np.column_stack([np.full(len(f), k), np.full(len(f), t / 60), f * 1e6])
                for k, (t, f) in enumerate(state.snapshots + [(state.time, state.front)])]
        write_csv(staging.file("fronts.csv"), ["snapshot", "time_min", "r_um", "z_um"], np.concatenate(rows))
        write_csv(staging.file("coat_profile.csv"), ["s_um", "r_um", "z_um", "thickness_um"], coat * 1e6)
        files = ["summary.json", "case.resolved.json", "fill_history.csv", "fronts.csv", "coat_profile.csv",
                 *fields.files]
        lined = lined_concavity(section, state)
        if lined is not None:
            atomic_write_text(staging.file("concavity.toml"), concavity_toml(
                lined, f"The concavity lined by {state.time / 60:.4g} min of "
                f"{case.growth.deposit} ({case.name}), for the next plating step:"))
            files.append("concavity.toml")
        if fill_picture(staging.file("fill.png"), case, section, state):
            files.append("fill.png")
        atomic_write_json(staging.file("case.resolved.json"), resolved)
        data = summary(case.name, case.kind, "ok", comm.size, state.dofs, time.perf_counter() - t0, results, None,
                       source=source, files=files,
                       solver={"method": "remeshed front, newton+mumps", "growth_steps": state.step,
                               "newton_iterations": state.newton, "solve_s": round(solve_s, 4),
                               "mesh_s": round(state.mesh_s, 4), "resumed": bool(restart)})
        atomic_write_json(staging.file("summary.json"), data)
        return data

    # the electrolyte at the end (the last mesh)
    fields = field_writer(state.domain, "electrolyte", state.fields, case.fields.vtx, t=state.time)
    return write_from_root(out, comm, write, fields=fields)


def check_checkpoint(out: Path, digest: str) -> None:
    """The kind's restart check: OUT's checkpoint, if there is one, is of this case."""
    resumed_state(Path(out) / "checkpoint.json", digest, MPI.COMM_SELF, None)


def resumed_state(checkpoint: Path, digest: str, comm, log):
    """The growth state OUT's checkpoint holds, if it is of this very case (CaseError else);
    None if there is none yet: a run killed before its first step (or a requeued job that
    always passes --restart) starts from the beginning."""
    message, state = None, None
    if comm.rank == 0:
        try:
            state = load_checkpoint(checkpoint, digest)
        except FileNotFoundError:
            pass
        except ValueError as exc:
            message = f"--restart: {exc}"
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            message = f"--restart: {checkpoint} is not a fill checkpoint ({type(exc).__name__}: {exc})"
    message, state = comm.bcast((message, state), root=0)
    if message:
        raise CaseError(message)
    if log is not None and state is None:
        log.info("--restart: no checkpoint in %s yet; starting from the beginning", checkpoint.parent)
    elif log is not None:
        log.info("fill: resumed at step %d, t = %.4g min", state.step, state.time / 60)
    return state


def results_of(case, section, state, deposit, echem, coat: np.ndarray) -> dict:
    """``coat``: the deposit's thickness at the starting wall's points (m)."""
    um3 = 1e18
    target = section.target_volume()
    start, end = state.history[0], state.history[-1]
    deposited = end[1]
    voids = sum(v.volume for v in state.voids)
    mass = deposited * deposit.density
    faraday = case.growth.efficiency * state.charge * deposit.molar_mass / (deposit.valence * FARADAY)
    # a plane section is per metre of depth (the quarter annulus: its quarter)
    per = "" if section.axisymmetric else "_per_m"
    res = {
        "plating_time_min": state.time / 60,
        "growth_steps": state.step,
        # mean, min and max of one distribution: the deposition current density on the
        # starting wall (its current over its area; min and max at its points)
        "start_mean_current_density_A_per_m2": start[2] / surface_area(section.front, section.axisymmetric),
        "start_min_current_density_A_per_m2": start[5],
        "start_max_current_density_A_per_m2": start[6],
        "start_current_uniformity": (start[6] - start[5]) / (start[6] + start[5]),
        # what a rectifier set per unit of the cell's footprint sees (the galvanostatic input)
        "start_current_over_footprint_A_per_m2": start[4] / section.footprint,
        f"charge_C{per}": state.charge,
        "deposited_volume_um3" if section.axisymmetric else "deposited_area_um2": deposited * (um3 if per == ""
                                                                                             else 1e12),
        f"deposited_mass_ug{per}": mass * 1e9,
        "faraday_balance_rel": abs(mass - faraday) / faraday if faraday else 0.0,
    }
    if echem.diffusivity is None:
        k = echem.cathode
        Rct = charge_transfer_resistance(k.exchange_current_density, k.alpha_a, k.alpha_c, echem.temperature)
        res["wagner_number"] = wagner_number(echem.conductivity, Rct, section.length_scale)
    if section.full_level is not None:
        res.update({
            "filled": state.filled_at is not None,
            "fill_fraction": min(deposited / target, 1.0) if state.filled_at is None else 1.0,
            "void": bool(state.voids),
            "void_count": len(state.voids),
            "void_volume_um3": voids * um3,
            "void_fraction": voids / target,
            "seam_count": state.seams,
            "concavity_and_hole_volume_um3": target * um3,
        })
        if state.filled_at is not None:
            res["fill_time_min"] = state.filled_at / 60
        if state.voids:
            big = max(state.voids, key=lambda v: v.volume)
            res.update({"largest_void_volume_um3": big.volume * um3, "largest_void_r_um": big.centroid[0] * 1e6,
                        "largest_void_z_um": big.centroid[1] * 1e6, "largest_void_closed_min": big.time / 60})
        if state.filled_at is None and not state.voids:
            h = coat
            res.update({"coat_min_thickness_um": float(h.min() * 1e6), "coat_max_thickness_um": float(h.max() * 1e6),
                        "coat_mean_thickness_um": float(h.mean() * 1e6), "coat_uniformity": uniformity(h),
                        "coat_min_over_max": float(h.min() / h.max())})
    else:
        area = abs(signed_area(np.vstack([[0.0, 0.0], state.front])))
        res["cylinder_radius_um"] = math.sqrt(4 * area / math.pi) * 1e6  # the quarter section's equivalent circle
        radii = np.linalg.norm(state.front, axis=1)
        res["cylinder_roundness_um"] = float(radii.max() - radii.min()) * 1e6
    return res


def surface_area(front: np.ndarray, axisymmetric: bool) -> float:
    """The area of the surface a polyline (r, z) sweeps about the axis (m^2), or its length
    for a plane section (m^2 per m of depth): the cathode of a growth step, whose facets
    are the polyline's segments."""
    seg = np.linalg.norm(np.diff(front, axis=0), axis=1)
    if not axisymmetric:
        return float(seg.sum())
    return float((np.pi * (front[:-1, 0] + front[1:, 0]) * seg).sum())


def lined_concavity(section, state) -> np.ndarray | None:
    """The deposit surface as a new concavity profile (m), when it still is one: an open
    surface (not filled, no void) running from the film underside to the axis below the
    film/base interface."""
    if section.full_level is None or state.filled_at is not None or state.voids:
        return None
    f = state.front
    if abs(f[0, 1]) > 1e-12 or abs(f[-1, 0]) > 1e-12 or f[:, 1].max() > 1e-12:
        return None
    return f


def fill_picture(path: Path, case, section, state) -> bool:
    """The section mirrored about the axis: base, film, the deposit (copper), the liquid, the
    voids (white), the surface every 5 % of fill (thin lines)."""
    from matplotlib.patches import Polygon

    from solver.core.plots import plt, save

    if section.full_level is None:
        fig, ax = plt.subplots(figsize=(5, 5))
        for _, f in state.snapshots:
            ax.plot(f[:, 0] * 1e6, f[:, 1] * 1e6, lw=0.6, color="0.5")
        ax.plot(state.front[:, 0] * 1e6, state.front[:, 1] * 1e6, color="#b87333", lw=1.5)
        ax.set_aspect("equal")
        ax.set_xlabel("x (um)")
        ax.set_ylabel("y (um)")
        ax.set_title(f"{case.name}: inner cylinder at {state.time / 60:.3g} min")
        return save(fig, path)
    um = 1e6
    geo = case.geometry
    t, edge = geo.film.thickness, geo.edge
    fig, ax = plt.subplots(figsize=(8, 5))
    liquid = np.vstack([p[:-1] for p, _ in section.pieces(state.front, state.s_start, state.s_end)])
    initial = np.vstack([section.front, [[0.0, section.full_level + geo.electrolyte.height]],
                         [[edge, section.full_level + geo.electrolyte.height]], [[edge, 0.0]]])
    depth = -section.front[:, 1].min()
    for sign in (1, -1):
        def poly(p, sign=sign, **kw):
            q = p * um
            q[:, 0] *= sign
            ax.add_patch(Polygon(q, closed=True, **kw))

        poly(np.array([[0.0, -1.6 * depth], [edge, -1.6 * depth], [edge, 0.0], *section.front]),
             facecolor="#d9a066", edgecolor="none")
        poly(initial, facecolor="#b87333", edgecolor="none")  # the deposit where the liquid is gone
        poly(liquid, facecolor="#cfe8f6", edgecolor="none")
        for v in state.voids:
            poly(v.outline, facecolor="white", edgecolor="black", lw=0.8)
        poly(np.array([[geo.film.hole_radius, 0.0], [edge, 0.0], [edge, t], [geo.film.top_radius, t]]),
             facecolor="#6b8e23", edgecolor="none")
        for _, f in state.snapshots:
            ax.plot(sign * f[:, 0] * um, f[:, 1] * um, lw=0.5, color="0.3")
    ax.set_xlim(-edge * um, edge * um)
    ax.set_ylim(-1.6 * depth * um, (t + 0.5 * geo.electrolyte.height) * um)
    ax.set_aspect("equal")
    ax.set_xlabel("r (um)")
    ax.set_ylabel("z (um)")
    status = (f"filled at {state.filled_at / 60:.3g} min" if state.filled_at is not None
              else f"{state.time / 60:.3g} min")
    if state.voids:
        status += f", void {sum(v.volume for v in state.voids) * 1e18:.4g} um^3"
    ax.set_title(f"{case.name}: {status} (base, film green, deposit copper, voids white)", fontsize=9)
    return save(fig, path)

