"""Per-cycle results from per-step records, the stabilised-cycle test and the fatigue life
table (pure: no dolfinx, no MPI).

A record holds, per averaging volume, the volume-averaged inelastic strain tensor, the
accumulated equivalent inelastic strain and the inelastic work density. Over a cycle:

* dW: the increase of the averaged work density (J/m^3 per cycle): Darveaux's input;
* the inelastic strain range: the largest von Mises distance between two states of the
  averaged inelastic strain tensor within the cycle, sqrt(2/3 d:d): Coffin-Manson's input,
  and sqrt(3) times it Engelmaier's shear strain range;
* dp: the accumulated equivalent inelastic strain of the cycle."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from solver.mechanics import fatigue


@dataclass
class StepRecord:
    time: float  # s
    temperature: float  # K
    cycle: int  # -1 before the first cycle
    warpage: float  # m (nan without a bottom surface)
    curvature: float  # 1/m
    volumes: dict[str, dict] = field(default_factory=dict)  # name -> inelastic_strain (6), accumulated, work
    probe: dict | None = None  # stress, strain, inelastic_strain (6 each)
    newton: int = 0
    linear: int = 0
    seconds: float = 0.0  # wall time of the step (retries included)
    material_seconds: float = 0.0  # of which the material updates


def strain_range(eps: np.ndarray) -> float:
    """Largest equivalent distance sqrt(2/3 d:d) between two rows of (k, 6) Mandel strains."""
    if len(eps) < 2:
        return 0.0
    d = eps[:, None, :] - eps[None, :, :]
    return float(np.sqrt(2.0 / 3.0 * np.einsum("ijk,ijk->ij", d, d).max()))


def cycle_results(records: list[StepRecord], spans: list[tuple[float, float]]) -> list[dict]:
    """One dict per completed cycle: per volume dW (J/m^3), strain range and dp; the
    warpage range and the mean temperature."""
    out = []
    times = np.array([r.time for r in records])
    for k, (a, b) in enumerate(spans):
        if not len(times) or times[-1] < b - 1e-9 * max(b, 1.0):
            break
        i0 = int(np.argmin(np.abs(times - a)))
        i1 = int(np.argmin(np.abs(times - b)))
        inside = records[i0:i1 + 1]
        res = {"cycle": k + 1, "start_s": a, "end_s": b, "volumes": {}}
        for name in records[i1].volumes:
            eps = np.array([r.volumes[name]["inelastic_strain"] for r in inside])
            res["volumes"][name] = {
                "energy_density_J_per_m3": records[i1].volumes[name]["work"] - records[i0].volumes[name]["work"],
                "inelastic_strain_range": strain_range(eps),
                "accumulated_inelastic_strain": records[i1].volumes[name]["accumulated"]
                - records[i0].volumes[name]["accumulated"],
            }
        w = np.array([r.warpage for r in inside])
        res["warpage_range_um"] = 1e6 * float(np.nanmax(w) - np.nanmin(w)) if np.isfinite(w).any() else math.nan
        ts = np.array([r.time for r in inside])
        Ts = np.array([r.temperature for r in inside])
        res["mean_temperature_K"] = float(np.trapezoid(Ts, ts) / (ts[-1] - ts[0])) if ts[-1] > ts[0] else Ts[0]
        out.append(res)
    return out


def stabilised(cycles: list[dict], tolerance: float, names: list[str] | None = None) -> bool:
    """dW per cycle changed by less than ``tolerance`` (relative) from the previous cycle to
    the last in every volume of ``names`` (None: every volume)."""
    if len(cycles) < 2 or not cycles[-1]["volumes"]:
        return False
    volumes = {n: v for n, v in cycles[-1]["volumes"].items() if names is None or n in names}
    largest = max((abs(v["energy_density_J_per_m3"]) for v in volumes.values()), default=0.0)
    if largest <= 0:
        return False
    for name, now in volumes.items():
        before = cycles[-2]["volumes"][name]["energy_density_J_per_m3"]
        w = now["energy_density_J_per_m3"]
        if abs(w) <= 1e-9 * largest and abs(before) <= 1e-9 * largest:
            continue  # a volume that has shaken down to elastic cycling: stable
        if abs(w - before) > tolerance * abs(w):
            return False
    return True


def life_table(cycle: dict, volumes, fatigue_spec, darveaux, cycle_s: float) -> list[dict]:
    """``volumes``: the averaging layers (name, region, interface, thickness, crack length,
    distance from the package centre). One row per averaging volume with its inputs and its life under each law the case
    configures (cycles to failure; inf where the volume saw no inelastic strain)."""
    rows = []
    per_day = 86400.0 / cycle_s
    for vol in volumes:
        v = cycle["volumes"][vol.name]
        rng, dW = v["inelastic_strain_range"], v["energy_density_J_per_m3"]
        row = {"joint": vol.name, "region": vol.region, "interface": vol.interface,
               "distance_from_centre_um": 1e6 * vol.distance_from_centre,
               "layer_thickness_um": 1e6 * vol.thickness, "cycle": cycle["cycle"],
               "inelastic_strain_range": rng, "energy_density_J_per_m3": dW}
        if fatigue_spec.coffin_manson is not None:
            cm = fatigue_spec.coffin_manson
            row["life_coffin_manson_cycles"] = float(fatigue.coffin_manson_life(
                rng, cm.ductility_coefficient, cm.ductility_exponent)) if rng > 0 else math.inf
        if fatigue_spec.engelmaier is not None:
            row["shear_strain_range"] = float(fatigue.shear_strain_range(rng)) if rng > 0 else 0.0
            row["life_engelmaier_cycles"] = float(fatigue.engelmaier_life(
                row["shear_strain_range"], cycle["mean_temperature_K"], per_day,
                fatigue_spec.engelmaier.ductility_coefficient)) if rng > 0 else math.inf
        if darveaux is not None:
            if dW > 0:
                d = fatigue.darveaux_life(dW, vol.crack_length, darveaux)
                row["darveaux_initiation_cycles"] = float(d["initiation_cycles"])
                row["darveaux_growth_um_per_cycle"] = 1e6 * float(d["growth_rate_m_per_cycle"])
                row["life_darveaux_cycles"] = float(d["life_cycles"])
            else:
                row["life_darveaux_cycles"] = math.inf
        rows.append(row)
    return rows
