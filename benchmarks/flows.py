"""Timed process flows and fills -> benchmarks/results/flows.json. Never part of the test gate.

Runs the two shipped flows and the concavity fill pair, each as ``sprout run`` in a fresh
process. Records wall time and peak memory of the process. For a flow it records, per
step, the kind, seconds, DOFs and key results; for a fill, its growth steps, Newton
iterations, DOFs, and solve and meshing seconds. Peak memory is measured on one rank only.

    python benchmarks/flows.py [--ranks 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from solver.core.output import atomic_write_json  # noqa: E402

PY = sys.executable
MPIRUN = str(Path(PY).parent / "mpirun")
RUNS = ["cases/flows/process_a.toml", "cases/flows/process_b.toml", "cases/plating/concavity_fill_voidfree.toml",
        "cases/plating/concavity_fill_void.toml"]


def bench(case: str, ranks: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [PY, "-m", "solver", "run", case, "-o", f"{tmp}/out"]
        if ranks > 1:
            cmd = [MPIRUN, "-n", str(ranks), *cmd]
        t0 = time.perf_counter()
        with open(f"{tmp}/log", "w") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
            _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        process_s = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            return {"case": case, "error": Path(f"{tmp}/log").read_text()[-2000:]}
        s = json.loads(Path(f"{tmp}/out/summary.json").read_text())
    rec = {"case": case, "kind": s["kind"], "ranks": s["ranks"], "wall_s": s["wall_s"],
           "process_s": round(process_s, 3)}
    if ranks == 1:  # under mpirun the child is mpirun, not the solver
        rec["peak_rss_MB"] = round(usage.ru_maxrss / 1024, 1)  # kB on Linux
    if s["kind"] == "flow":
        rec["steps"] = [{k: step.get(k) for k in ("step", "kind", "status", "wall_s", "dofs", "key_results")}
                        for step in s["steps"]]
    else:
        rec.update({k: s["solver"][k] for k in ("growth_steps", "newton_iterations", "solve_s", "mesh_s")})
        rec["dofs_last_step"] = s["dofs"]
        rec["fill_time_min"] = s["results"].get("fill_time_min")
    return rec


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ranks", type=int, default=1)
    args = p.parse_args()
    records = []
    for case in RUNS:
        rec = bench(case, args.ranks)
        records.append(rec)
        print(json.dumps({k: v for k, v in rec.items() if k != "steps"}), flush=True)
    data = {"machine": {"python": platform.python_version(), "machine": platform.machine(),
                        "processor_count": __import__("os").cpu_count()},
            "date": time.strftime("%Y-%m-%d"), "ranks": args.ranks, "runs": records}
    out = ROOT / "benchmarks" / "results" / f"flows-np{args.ranks}.json"
    atomic_write_json(out, data)
    return 1 if any("error" in r for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
