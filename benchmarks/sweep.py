"""Per-case overhead of a 20-case sweep of a small case (the bimetal strip, 4 x 5 grid),
local executor, one case at a time -> benchmarks/results/sweep_overhead.json.

Overhead = the case's wall time in its worker (or process, with ``--isolated``) minus its
solve time (meshing and solving): case validation, form loading, output files. One-rank
cases run in long-lived workers, so Python, dolfinx and the compiled forms are loaded once
per worker; ``--isolated`` (one process per case) pays the start-up every time.

    python benchmarks/sweep.py [--isolated]
"""

from __future__ import annotations

import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from solver.core.output import atomic_write_json  # noqa: E402

SWEEP = f'''[sweep]
name = "overhead"
base = "{(ROOT / "cases" / "validation" / "bimetal_strip.toml").as_posix()}"
method = "grid"
set = ["output.fields=false", "output.picture=false"]

[sweep.parameters]
"geometry.layers[1].thickness" = ["0.2 mm", "0.35 mm", "0.5 mm", "0.65 mm"]
"load.temperature" = ["-55 degC", "-15 degC", "25 degC", "65 degC", "105 degC"]
'''


def main() -> int:
    isolated = "--isolated" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        sweep = Path(tmp) / "overhead.toml"
        sweep.write_text(SWEEP)
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "solver", "sweep", str(sweep), "-o", f"{tmp}/out"]
        r = subprocess.run(cmd + (["--isolated"] if isolated else []), cwd=ROOT, capture_output=True, text=True)
        total = time.perf_counter() - t0
        if r.returncode != 0:
            print(r.stderr)
            return 1
        with open(f"{tmp}/out/timings.csv") as fh:
            rows = list(csv.DictReader(fh))
    process = [float(x["process_s"]) for x in rows]
    solve = [float(x["solve_s"]) for x in rows]
    overhead = [p - s for p, s in zip(process, solve)]
    rec = {
        "mode": "one process per case" if isolated else "workers",
        "cases": len(rows),
        "sweep_wall_s": round(total, 3),
        "per_case_process_s_median": round(statistics.median(process), 4),
        "per_case_solve_s_median": round(statistics.median(solve), 4),
        "per_case_overhead_s_median": round(statistics.median(overhead), 4),
        "per_case_overhead_s_first": round(overhead[0], 4),
        "per_case_overhead_s_max": round(max(overhead), 4),
        "sweep_bookkeeping_s_per_case": round((total - sum(process)) / len(rows), 4),
        "date": time.strftime("%Y-%m-%d"),
    }
    name = "sweep_overhead_isolated.json" if isolated else "sweep_overhead.json"
    atomic_write_json(ROOT / "benchmarks" / "results" / name, rec)
    print(json.dumps(rec))
    return 0


if __name__ == "__main__":
    sys.exit(main())
