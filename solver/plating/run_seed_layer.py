"""``sprout run`` of a seed_layer case: the terminal effect across the wafer and the
thickness map of the plated film.

Results: current density at the centre and at the contact (start), their ratio, the mean,
the terminal-effect number Te = a^2 R_s / R_p (R_p the kinetics' slope at equilibrium);
with growth: deposit thickness at centre and edge, mean, uniformity (max - min) / (2 mean),
edge/centre ratio, charge passed, deposited mass, and the Faraday balance (deposited
volume against the charge; round-off by construction of the explicit steps, checked).
Files: ``seed_profile.csv`` (r, start current density, end current density, thickness),
``thickness.png``, ``fields/wafer.pvd`` (the same along the radius, a polyline every viewer
reads).

With geometry ``wafer_cell`` the film is solved coupled to the electrolyte
(:mod:`solver.plating.seed_electrolyte`) at a cell voltage; the results add the Wagner number
kappa R_ct / a, the electrolyte's resistance height / kappa, the anode/cathode current
balance, and the same case under the uniform-potential model at the same start current
(``uniform_electrolyte_*``): how much non-uniformity the electrolyte adds or removes. There
the uniformities are (max - min) / (2 mean) with the area mean (total / wafer area), so
that the two models' different sample points do not weigh in; the CSV adds the
overpotential at the start and end and the film potential at the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from mpi4py import MPI

from solver.core.domain import build_domain
from solver.core.kind import RunContext
from solver.core.materials import library_material
from solver.core.output import atomic_write_json, field_hook, summary, write_csv, write_from_root
from solver.plating.electrochem import FARADAY, charge_transfer_resistance, uniformity, wagner_number
from solver.plating.schema import ElectrodeSpec
from solver.plating.seed_electrolyte import coupled_seed_growth
from solver.plating.seed_layer import seed_growth, terminal_effect_number


def run_seed_layer(case, ctx: RunContext) -> dict:
    out, comm, t0, source, resolved = ctx.out, ctx.comm, ctx.t0, ctx.source, ctx.resolved
    geo = case.geometry
    if geo.type == "wafer_cell":
        return run_coupled(case, out, comm, t0, source, resolved)
    domain = build_domain(geo, comm, order=1)
    c = case.cathode
    electrode = c.electrode()
    seed_metal = library_material(case.seed.metal)
    rho = case.seed.resistivity or seed_metal.resistivity
    deposit = library_material(case.growth.deposit)
    t_solve = time.perf_counter()
    hist = seed_growth(domain, electrode, case.operation.contact_overpotential, case.seed.thickness, rho, deposit,
                       case.growth.efficiency, case.temperature, case.growth.time, case.growth.steps, case.name)
    solve_s = time.perf_counter() - t_solve
    gather = comm.gather((hist.r, np.column_stack([hist.current_density[0], hist.current_density[-1],
                                                   hist.thickness])), root=0)

    def write(staging) -> dict:
        r = np.concatenate([g[0] for g in gather])
        cols = np.concatenate([g[1] for g in gather])
        order = np.argsort(r)
        r, cols = r[order], cols[order]
        keep = np.concatenate([[True], np.diff(r) > 1e-15])  # dofs shared by ranks appear once
        r, cols = r[keep], cols[keep]
        i0, h = cols[:, 0], cols[:, 2]
        Rs = rho / case.seed.thickness
        Rp = charge_transfer_resistance(c.exchange_current_density, c.alpha_a, c.alpha_c, case.temperature)
        results = {
            "sheet_resistance_ohm_per_sq": Rs,
            "terminal_effect_number": terminal_effect_number(geo.radius, Rs, Rp),
            "centre_current_density_A_per_m2": float(i0[0]),
            "edge_current_density_A_per_m2": float(i0[-1]),
            "centre_over_edge_current": float(i0[0] / i0[-1]),
            "mean_current_density_A_per_m2": hist.total_current[0] / (np.pi * geo.radius**2),
            "current_A": hist.total_current[0],
            "current_uniformity": uniformity(i0),
        }
        if case.growth.time > 0:
            mass = hist.deposited_volume * deposit.density
            faraday = case.growth.efficiency * hist.charge * deposit.molar_mass / (deposit.valence * FARADAY)
            results.update({
                "plating_time_min": case.growth.time / 60,
                "centre_thickness_um": float(h[0] * 1e6), "edge_thickness_um": float(h[-1] * 1e6),
                "mean_thickness_um": hist.deposited_volume / (np.pi * geo.radius**2) * 1e6,
                "thickness_uniformity": uniformity(h), "edge_over_centre_thickness": float(h[-1] / h[0]),
                "charge_C": hist.charge, "deposited_mass_mg": mass * 1e6,
                "faraday_balance_rel": abs(mass - faraday) / faraday,
            })
        write_csv(staging.file("seed_profile.csv"),
                  ["r_mm", "start_current_density_A_per_m2", "end_current_density_A_per_m2", "thickness_um"],
                  np.column_stack([r * 1e3, cols[:, 0], cols[:, 1], cols[:, 2] * 1e6]))
        files = ["summary.json", "case.resolved.json", "seed_profile.csv", *fields.files]
        if _picture(staging.file("thickness.png"), case, r, cols):
            files.append("thickness.png")
        atomic_write_json(staging.file("case.resolved.json"), resolved)
        data = summary(case.name, case.kind, "ok", comm.size, len(r), time.perf_counter() - t0, results, None,
                       source=source, files=files,
                       solver={"method": "newton+mumps", "newton_iterations": hist.newton,
                               "solve_s": round(solve_s, 4)})
        atomic_write_json(staging.file("summary.json"), data)
        return data

    r_all, cols_all = _gathered(comm, hist.r, np.column_stack([hist.current_density[0], hist.current_density[-1],
                                                                hist.thickness]))
    fields = field_hook(comm, case.fields.vtx,
                        lambda ff: ff.profile("wafer", *_wafer_profile(r_all, cols_all), domain=domain, region="seed"))
    return write_from_root(out, comm, write, fields=fields)


def _wafer_profile(r: np.ndarray | None, cols: np.ndarray | None, coupled: bool = False):
    """The wafer's profile as a polyline along the radius (rank 0: points and point data)."""
    if r is None:
        return None, None
    names = ["start_current_density_A_per_m2", "end_current_density_A_per_m2", "thickness_m"]
    if coupled:
        names += ["start_overpotential_V", "end_overpotential_V", "end_film_potential_V"]
    points = np.column_stack([r, np.zeros(len(r)), np.zeros(len(r))])
    return points, {n: cols[:, i] for i, n in enumerate(names)}


def _picture(path: Path, case, r: np.ndarray, cols: np.ndarray, uniform=None) -> bool:
    from solver.core.plots import plt, save

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(r * 1e3, cols[:, 0], label="current density at the start")
    if uniform is not None:
        ax.plot(uniform[0] * 1e3, uniform[1][:, 0], ":", label="uniform electrolyte, same current")
    if case.growth.time > 0:
        ax.plot(r * 1e3, cols[:, 1], label="at the end")
        ax2 = ax.twinx()
        ax2.plot(r * 1e3, cols[:, 2] * 1e6, "k--", label="thickness")
        if uniform is not None:
            ax2.plot(uniform[0] * 1e3, uniform[1][:, 1] * 1e6, "k:", label="thickness, uniform electrolyte")
        ax2.set_ylabel("deposit thickness [um]")
    ax.set_xlabel("r [mm]")
    ax.set_ylabel("deposition current density [A/m^2]")
    ax.set_title(f"{case.name}: terminal effect" + (" with the electrolyte" if uniform is not None else ""))
    ax.legend(loc="upper left", fontsize=8)
    return save(fig, path)


def _gathered(comm: MPI.Comm, r: np.ndarray, cols: np.ndarray):
    """Rank 0: the owned dofs of every rank sorted by radius, each once."""
    gather = comm.gather((r, cols), root=0)
    if gather is None:
        return None, None
    r = np.concatenate([g[0] for g in gather])
    cols = np.concatenate([g[1] for g in gather])
    order = np.argsort(r, kind="stable")
    r, cols = r[order], cols[order]
    keep = np.concatenate([[True], np.diff(r) > 1e-15])
    return r[keep], cols[keep]


def _spread(values: np.ndarray, mean: float) -> float:
    """(max - min) / (2 mean), the mean given (the area mean)."""
    return float((values.max() - values.min()) / (2 * mean))


def _matched_uniform_model(case, electrode, rho, deposit, current: float, eta_guess: float, comm, name: str):
    """The uniform-potential model (1D radius) at the contact overpotential that draws the
    coupled model's start current (secant steps on the monotone current), grown alike."""
    from meshes import Wafer

    geo = case.geometry
    line = Wafer(type="wafer", radius=f"{geo.radius} m", element_size=f"{geo.element_size} m")
    domain = build_domain(line, comm, order=1)
    g = case.growth

    def start_current(eta: float) -> float:
        return seed_growth(domain, electrode, eta, case.seed.thickness, rho, deposit, g.efficiency,
                           case.temperature, 0.0, 1, f"{name}_uniform").total_current[0]

    a, b = eta_guess, 1.05 * eta_guess
    Ia, Ib = start_current(a), start_current(b)
    for _ in range(40):
        if abs(Ib - current) <= 1e-9 * abs(current) or Ib == Ia:
            break
        a, b, Ia = b, b + (current - Ib) * (b - a) / (Ib - Ia), Ib
        Ib = start_current(b)
    hist = seed_growth(domain, electrode, b, case.seed.thickness, rho, deposit, g.efficiency, case.temperature,
                       g.time, g.steps, f"{name}_uniform")
    return b, hist


@dataclass
class CoupledRun:
    """The coupled film/electrolyte solve and its uniform-potential twin. The profiles
    (``r``, ``cols``, ``u_r``, ``u_cols``) are gathered on rank 0 only."""

    domain: object
    hist: object
    r: np.ndarray | None
    cols: np.ndarray | None  # start/end current density, thickness, start/end overpotential, film potential
    eta_u: float | None
    uni: object
    u_r: np.ndarray | None
    u_cols: np.ndarray | None
    rho: float
    deposit: object
    mesh_s: float
    solve_s: float
    uniform_s: float


def solve_coupled(case, comm: MPI.Comm) -> CoupledRun:
    geo = case.geometry
    t_mesh = time.perf_counter()
    domain = build_domain(geo, comm, order=1, algorithm=case.mesh.algorithm,
                          threads=case.mesh.threads, max_cells=case.mesh.max_cells)
    mesh_s = time.perf_counter() - t_mesh
    c, an = case.cathode, case.anode or ElectrodeSpec()
    electrode, anode = c.electrode(), an.electrode()
    rho = case.seed.resistivity or library_material(case.seed.metal).resistivity
    deposit = library_material(case.growth.deposit)
    g = case.growth
    t_solve = time.perf_counter()
    hist = coupled_seed_growth(domain, geo.radius, case.electrolyte.conductivity, electrode, anode,
                               case.operation.cell_voltage, case.seed.thickness, rho, deposit, g.efficiency,
                               case.temperature, g.time, g.steps, case.name)
    solve_s = time.perf_counter() - t_solve
    cols_loc = np.column_stack([hist.current_density[0], hist.current_density[-1], hist.thickness,
                                hist.overpotential[0], hist.overpotential[-1], hist.film_potential])
    r, cols = _gathered(comm, hist.r, cols_loc)
    eta_mean = comm.bcast(float(np.interp(np.sqrt(0.5) * geo.radius, r, cols[:, 3])) if comm.rank == 0 else None,
                          root=0)
    # the comparison is a 1D problem of a few hundred dofs: rank 0 solves it alone
    t_uniform = time.perf_counter()
    eta_u, uni, u_r, u_cols = None, None, None, None
    if comm.rank == 0:
        eta_u, uni = _matched_uniform_model(case, electrode, rho, deposit, hist.total_current[0], eta_mean,
                                            MPI.COMM_SELF, case.name)
        u_r, u_cols = _gathered(MPI.COMM_SELF, uni.r, np.column_stack([uni.current_density[0], uni.thickness]))
    uniform_s = time.perf_counter() - t_uniform
    return CoupledRun(domain, hist, r, cols, eta_u, uni, u_r, u_cols, rho, deposit, mesh_s, solve_s, uniform_s)


def coupled_results(case, run: CoupledRun) -> dict[str, float]:
    """The summary's results (rank 0: the profiles are there)."""
    geo, c, g = case.geometry, case.cathode, case.growth
    hist, cols, u_cols, uni = run.hist, run.cols, run.u_cols, run.uni
    kappa, deposit = case.electrolyte.conductivity, run.deposit
    area = np.pi * geo.radius**2
    i0, h = cols[:, 0], cols[:, 2]
    Rs = run.rho / case.seed.thickness
    Rp = charge_transfer_resistance(c.exchange_current_density, c.alpha_a, c.alpha_c, case.temperature)
    mean_i = hist.total_current[0] / area
    results = {
        "cell_voltage_V": case.operation.cell_voltage,
        "sheet_resistance_ohm_per_sq": Rs,
        "terminal_effect_number": terminal_effect_number(geo.radius, Rs, Rp),
        "wagner_number": wagner_number(kappa, Rp, geo.radius),
        "electrolyte_resistance_ohm_m2": geo.height / kappa,
        "centre_current_density_A_per_m2": float(i0[0]),
        "edge_current_density_A_per_m2": float(i0[-1]),
        "centre_over_edge_current": float(i0[0] / i0[-1]),
        "mean_current_density_A_per_m2": mean_i,
        "current_A": hist.total_current[0],
        "current_uniformity": _spread(i0, mean_i),
        "centre_overpotential_V": float(cols[0, 3]),
        "edge_overpotential_V": float(cols[-1, 3]),
        "current_balance_rel": abs(hist.anode_current[0] - hist.cathode_current[0]) / hist.cathode_current[0],
        "uniform_electrolyte_contact_overpotential_V": run.eta_u,
        "uniform_electrolyte_centre_over_edge_current": float(u_cols[0, 0] / u_cols[-1, 0]),
        "uniform_electrolyte_current_uniformity": _spread(u_cols[:, 0], uni.total_current[0] / area),
    }
    if g.time > 0:
        mass = hist.deposited_volume * deposit.density
        faraday = g.efficiency * hist.charge * deposit.molar_mass / (deposit.valence * FARADAY)
        mean_h = hist.deposited_volume / area
        results.update({
            "plating_time_min": g.time / 60,
            "centre_thickness_um": float(h[0] * 1e6), "edge_thickness_um": float(h[-1] * 1e6),
            "mean_thickness_um": mean_h * 1e6, "min_thickness_um": float(h.min() * 1e6),
            "max_thickness_um": float(h.max() * 1e6),
            "thickness_uniformity": _spread(h, mean_h), "edge_over_centre_thickness": float(h[-1] / h[0]),
            "end_centre_over_edge_current": float(cols[0, 1] / cols[-1, 1]),
            "charge_C": hist.charge, "deposited_mass_mg": mass * 1e6,
            "faraday_balance_rel": abs(mass - faraday) / faraday,
            "end_current_balance_rel": abs(hist.anode_current[-1] - hist.cathode_current[-1])
            / hist.cathode_current[-1],
            "uniform_electrolyte_thickness_uniformity": _spread(u_cols[:, 1], uni.deposited_volume / area),
            "uniform_electrolyte_edge_over_centre_thickness": float(u_cols[-1, 1] / u_cols[0, 1]),
        })
    return results


def run_coupled(case, out: Path, comm: MPI.Comm, t0: float, source: str, resolved: dict) -> dict:
    """Solve -> results -> files (seed_profile.csv, thickness.png, fields/electrolyte.pvd,
    fields/wafer.pvd, the summary)."""
    run = solve_coupled(case, comm)

    def write(staging) -> dict:
        r, cols = run.r, run.cols
        results = coupled_results(case, run)
        write_csv(staging.file("seed_profile.csv"),
                  ["r_mm", "start_current_density_A_per_m2", "end_current_density_A_per_m2", "thickness_um",
                   "start_overpotential_V", "end_overpotential_V", "end_film_potential_V"],
                  np.column_stack([r * 1e3, cols[:, 0], cols[:, 1], cols[:, 2] * 1e6, cols[:, 3:]]))
        files = ["summary.json", "case.resolved.json", "seed_profile.csv", *fields.files]
        if _picture(staging.file("thickness.png"), case, r, cols, (run.u_r, run.u_cols)):
            files.append("thickness.png")
        atomic_write_json(staging.file("case.resolved.json"), resolved)
        data = summary(case.name, case.kind, "ok", comm.size, run.hist.dofs, time.perf_counter() - t0, results,
                       None, source=source, files=files,
                       solver={"method": "newton+mumps", "formulation": "mixed P2 x P2 (electrolyte, film on the "
                               "cathode facets), one Newton solve", "newton_iterations": run.hist.newton,
                               "solve_s": round(run.solve_s, 4), "mesh_s": round(run.mesh_s, 4),
                               "uniform_model_s": round(run.uniform_s, 4)},
                       mesh={"cells": run.domain.info["cells"]})
        atomic_write_json(staging.file("summary.json"), data)
        return data

    def write_fields(ff) -> None:
        ff.write("electrolyte", run.domain, [run.hist.electrolyte_potential])
        ff.profile("wafer", *_wafer_profile(run.r, run.cols, coupled=True), domain=run.domain, boundary="cathode")

    fields = field_hook(comm, case.fields.vtx, write_fields)
    return write_from_root(out, comm, write, fields=fields)
