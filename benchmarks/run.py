"""Timed runs -> benchmarks/results/*.json (``make bench``). Never part of the test gate.

For every benchmark case: wall time, DOFs, solver iterations, assembly / preconditioner
setup / solve seconds and peak memory per rank, read from the run's summary.json. For 3D
cases the raw-dolfinx box reference (benchmarks/raw_box.py) runs at the same DOFs, degree
and ranks, and the ratio of total solve time (assembly + setup + solve) is recorded.

    python benchmarks/run.py --ranks 2 [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from solver.core.output import atomic_write_json  # noqa: E402

PY = sys.executable
MPIRUN = str(Path(PY).parent / "mpirun")

PACKAGE_1M = ["geometry.element_size=26 um", 'load.steps=[{name="room", temperature="25 degC"}]',
              "output.fields=false", "output.picture=false", "solver.method=iterative"]

BENCHMARKS = [
    # name, case file, overrides, compare with the raw box, also run on 1 rank (speed-up)
    ("demo_wafer_cooldown", "cases/demo_wafer_cooldown.toml", ["output.fields=false"], False, False),
    ("bimetal_strip_iterative", "cases/validation/bimetal_strip.toml",
     ["solver.method=iterative", "output.fields=false"], False, False),
    ("wafer_tile_3d", "benchmarks/wafer_tile_3d.toml", [], True, False),
    # The 2 x 2 CSP block (quarter model, P2) refined to about 1M DOFs, one load step.
    ("csp_cooldown_1M", "cases/csp_cooldown.toml", PACKAGE_1M, True, True),
]


def run(cmd: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    return r, time.perf_counter() - t0


def mpi(ranks: int, *args: str) -> list[str]:
    return [MPIRUN, "-n", str(ranks), PY, *args] if ranks > 1 else [PY, *args]


def bench_case(name, case, overrides, raw, ranks, scaling=False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = mpi(ranks, "-m", "solver", "run", case, "-o", f"{tmp}/out")
        for o in overrides:
            cmd += ["--set", o]
        r, process_s = run(cmd)
        if r.returncode != 0:
            return {"name": name, "error": r.stderr[-2000:]}
        s = json.loads(Path(f"{tmp}/out/summary.json").read_text())
    solver = s["solver"]
    rec = {
        "name": name, "case": case, "ranks": s["ranks"], "dofs": s["dofs"], "method": solver["method"],
        "iterations": solver["iterations"], "residual_rel": solver["residual_rel"],
        "assemble_s": round(solver["assemble_s"], 4), "pc_setup_s": round(solver["setup_s"], 4),
        "solve_s": round(solver["solve_s"], 4),
        "total_solve_s": round(solver["assemble_s"] + solver["setup_s"] + solver["solve_s"], 4),
        "wall_s": s["wall_s"], "process_s": round(process_s, 3),
        "peak_memory_per_rank_MB": s["peak_memory_per_rank_MB"],
        "memory_MB_per_million_dofs": round(s["peak_memory_per_rank_MB"] * s["ranks"] / (s["dofs"] / 1e6), 1),
    }
    if scaling and ranks > 1:
        serial = bench_case(name, case, overrides, False, 1)
        if "error" not in serial:
            keys = ("total_solve_s", "wall_s", "iterations", "peak_memory_per_rank_MB")
            rec["one_rank"] = {k: serial[k] for k in keys}
            rec["speedup_total_solve_1_to_%d_ranks" % ranks] = round(serial["total_solve_s"] / rec["total_solve_s"], 3)
    if raw:
        degree = tomllib.loads((ROOT / case).read_text())["model"]["degree"]
        r2, _ = run(mpi(ranks, str(ROOT / "benchmarks" / "raw_box.py"), "--dofs", str(s["dofs"]),
                        "--degree", str(degree)))
        if r2.returncode == 0:
            box = json.loads(r2.stdout.strip().splitlines()[-1])
            rec["raw_box"] = box
            rec["ratio_total_solve_to_raw_box"] = round(rec["total_solve_s"] / box["total_solve_s"], 3)
        else:
            rec["raw_box"] = {"error": r2.stderr[-2000:]}
    return rec


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--only", help="run only this benchmark")
    args = p.parse_args()
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "machine": platform.machine(),
               "processor_count": __import__("os").cpu_count()}
    records = []
    for name, case, overrides, raw, scaling in BENCHMARKS:
        if args.only and name != args.only:
            continue
        rec = bench_case(name, case, overrides, raw, args.ranks, scaling)
        rec["machine"] = machine
        rec["date"] = time.strftime("%Y-%m-%d")
        atomic_write_json(out_dir / f"{name}-np{args.ranks}.json", rec)
        records.append(rec)
        print(json.dumps({k: v for k, v in rec.items() if k not in ("raw_box", "machine")}))
    return 1 if any("error" in r for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
