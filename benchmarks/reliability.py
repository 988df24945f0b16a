"""Thermal cycling with inelastic materials: what a cycle costs -> benchmarks/results/reliability.json.

For each case (the 2D die attach; with --csp also the 3D CSP quarter), on 1 and 2 ranks:
DOFs, steps, Newton iterations per step (target: mean <= 5), linear solves and seconds of
the last cycle, the material update's share of the stepping time (target <= 20 %), and
the cost of that cycle as a ratio to the same number of linear elastic solves on the same
mesh (each: tangent assembly, MUMPS factorization, solve; target <= 3).

    python benchmarks/reliability.py [--ranks 1 2] [--csp]
    mpirun -n 2 python benchmarks/reliability.py --elastic-solve CASE   (one measurement; used internally)
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PY = sys.executable
MPIRUN = str(Path(PY).parent / "mpirun")
CASES = {"die_attach_2d": ("cases/reliability/die_attach_cycling.toml", ["load.cycle.cycles=2"]),
         "csp_quarter_3d": ("cases/reliability/csp_thermal_cycling.toml", ["load.cycle.cycles=2"])}
COMMON = ["output.fields=false", "output.picture=false"]


def command(args: list[str], ranks: int) -> list[str]:
    cmd = [PY, *args]
    return [MPIRUN, "-n", str(ranks), *cmd] if ranks > 1 else cmd


def elastic_solve_seconds(case: str, overrides: list[str]) -> dict:
    """In-process (under the caller's ranks): one linear elastic solve on the case's mesh,
    as the thermoelastic kind does it (tangent assembly, MUMPS factorization, solve), the
    mean of three."""
    import solver  # noqa: F401  (MPI first)
    from mpi4py import MPI

    from solver.core.elastic_solver import ElasticSolver
    from solver.core.log import get_logger
    from solver.mechanics.reliability.run import Simulation
    from solver.workflow.registry import load_case

    c = load_case(ROOT / case, overrides + ["inelastic={}"])
    sim = Simulation(c, MPI.COMM_WORLD, get_logger())
    prob = sim.problem
    T0 = float(sim.profile.temperature(0.0))
    prob.update_materials(T0, T0 - 10.0, 0.0, 10.0)
    prob._residual()
    times = []
    for _ in range(3):
        MPI.COMM_WORLD.barrier()
        t = time.perf_counter()
        es = ElasticSolver(prob.J, prob.bcs, prob.V, c.model.formulation, "direct", 1e-10, 100, "elastic_reference")
        es.update_operator()
        x = prob.du.x.petsc_vec
        es.solve_rhs(prob.b, x)
        es.destroy()
        times.append(MPI.COMM_WORLD.allreduce(time.perf_counter() - t, op=MPI.MAX))
    return {"elastic_solve_s": sum(times) / len(times), "dofs": sim.dofs}


def measure(name: str, ranks: int) -> dict:
    case, extra = CASES[name]
    overrides = extra + COMMON
    with tempfile.TemporaryDirectory() as tmp:
        args = ["-m", "solver", "run", case, "-o", f"{tmp}/out"] + [a for o in overrides for a in ("--set", o)]
        t0 = time.perf_counter()
        r = subprocess.run(command(args, ranks), capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            return {"case": name, "ranks": ranks, "error": r.stderr[-2000:]}
        s = json.loads(Path(f"{tmp}/out/summary.json").read_text())
        rows = list(csv.DictReader(open(f"{tmp}/out/steps.csv")))
    last = max(int(float(row["cycle"])) for row in rows)
    cyc = [row for row in rows if int(float(row["cycle"])) == last and float(row["time_s"]) > 0]
    steps = len(cyc)
    newton = sum(float(row["newton_iterations"]) for row in cyc)
    seconds = sum(float(row["step_s"]) for row in cyc)
    material = sum(float(row["material_update_s"]) for row in cyc)
    ref = subprocess.run(command([str(Path(__file__).resolve()), "--elastic-solve", name], ranks),
                         capture_output=True, text=True, cwd=ROOT)
    elastic = json.loads(ref.stdout.strip().splitlines()[-1]) if ref.returncode == 0 else {"error": ref.stderr[-1500:]}
    out = {
        "case": name, "ranks": ranks, "dofs": s["dofs"], "cells": s["mesh"]["cells"], "wall_s": round(wall, 2),
        "cycle": last, "steps_in_cycle": steps, "newton_iterations_in_cycle": int(newton),
        "newton_per_step_mean": round(newton / steps, 3) if steps else None,
        "linear_solves_in_cycle": int(newton), "seconds_per_cycle": round(seconds, 3),
        "material_update_share": round(material / seconds, 4) if seconds else None,
        "solver": s["solver"], "peak_memory_per_rank_MB": s["peak_memory_per_rank_MB"],
    }
    if "elastic_solve_s" in elastic:
        out["elastic_solve_s"] = round(elastic["elastic_solve_s"], 4)
        out["cycle_cost_over_elastic_solves"] = round(seconds / (newton * elastic["elastic_solve_s"]), 3)
    else:
        out["elastic_reference_error"] = elastic["error"]
    out["targets"] = {"newton_per_step_mean_max": 5, "material_update_share_max": 0.2,
                      "cycle_cost_over_elastic_solves_max": 3}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--csp", action="store_true", help="also the 3D CSP quarter (minutes per run)")
    parser.add_argument("--elastic-solve", metavar="CASE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.elastic_solve:
        case, extra = CASES[args.elastic_solve]
        res = elastic_solve_seconds(case, extra + COMMON)
        from mpi4py import MPI

        if MPI.COMM_WORLD.rank == 0:
            print(json.dumps(res))
        return
    from solver.core.output import atomic_write_json

    names = ["die_attach_2d"] + (["csp_quarter_3d"] if args.csp else [])
    results = [measure(n, r) for n in names for r in args.ranks]
    for r in results:
        print(json.dumps({k: v for k, v in r.items() if k != "solver"}))
    out = ROOT / "benchmarks" / "results" / "reliability.json"
    out.parent.mkdir(exist_ok=True)
    atomic_write_json(out, {"benchmark": "reliability", "runs": results})
    print(f"-> {out}")


if __name__ == "__main__":
    main()
