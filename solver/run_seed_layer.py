"""``sprout run`` of a seed_layer case: the terminal effect across the wafer and the
thickness map of the plated film.

Results: current density at the centre and at the contact (start), their ratio, the mean,
the terminal-effect number Te = a^2 R_s / R_p (R_p the kinetics' slope at equilibrium);
with growth: deposit thickness at centre and edge, mean, uniformity (max - min) / (2 mean),
edge/centre ratio, charge passed, deposited mass, and the Faraday balance (deposited
volume against the charge; round-off by construction of the explicit steps, checked).
Files: ``seed_profile.csv`` (r, start current density, end current density, thickness),
``thickness.png``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from mpi4py import MPI

from .current_distribution import Electrode
from .domain import build_domain
from .electrochem import FARADAY, charge_transfer_resistance, uniformity
from .materials import library_material
from .output import atomic_write_json, summary, write_csv, write_from_root
from .seed_layer import seed_growth, terminal_effect_number


def run_seed_layer(case, out: Path, comm: MPI.Comm, log, t0: float, source: str, resolved: dict) -> dict:
    geo = case.geometry
    domain = build_domain(geo, comm, order=1)
    c = case.cathode
    electrode = Electrode(c.kinetics, c.exchange_current_density, c.alpha_a, c.alpha_c, c.equilibrium_potential)
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
        files = ["summary.json", "case.resolved.json", "seed_profile.csv"]
        if _picture(staging.file("thickness.png"), case, r, cols):
            files.append("thickness.png")
        atomic_write_json(staging.file("case.resolved.json"), resolved)
        data = summary(case.name, case.kind, "ok", comm.size, len(r), time.perf_counter() - t0, results, None,
                       source=source, files=files,
                       solver={"method": "newton+mumps", "newton_iterations": hist.newton,
                               "solve_s": round(solve_s, 4)})
        atomic_write_json(staging.file("summary.json"), data)
        return data

    return write_from_root(out, comm, write)


def _picture(path: Path, case, r: np.ndarray, cols: np.ndarray) -> bool:
    from .plots import _save, plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(r * 1e3, cols[:, 0], label="current density at the start")
    if case.growth.time > 0:
        ax.plot(r * 1e3, cols[:, 1], label="at the end")
        ax2 = ax.twinx()
        ax2.plot(r * 1e3, cols[:, 2] * 1e6, "k--", label="thickness")
        ax2.set_ylabel("deposit thickness [um]")
    ax.set_xlabel("r [mm]")
    ax.set_ylabel("deposition current density [A/m^2]")
    ax.set_title(f"{case.name}: terminal effect")
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path)
