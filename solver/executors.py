"""Where sweep cases run: here (N cases at once, each on k MPI ranks) or on a SLURM cluster
(one ``sbatch --array`` job, each array task running its case with MPI).

Both run exactly the same command per case (``sweep.case_command``); SLURM tasks reach it
through ``sprout sweep-case OUT INDEX``. The SLURM job script is written to
``OUT/sweep.sbatch`` whether or not it is submitted, for the user to read or submit.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .output import atomic_write_json
from .sweep import case_command, case_status, collect, read_manifest

PYTHON = sys.executable
MPIRUN = str(Path(sys.executable).parent / "mpirun")


def run_one(out: Path, index: int) -> int:
    """Run case ``index`` of the sweep in ``out`` (its log in OUT/logs/<id>.log)."""
    data = read_manifest(out)
    case = data["cases"][index]
    log = Path(out) / "logs" / f"{case['id']}.log"
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        r = subprocess.run(case_command(PYTHON, MPIRUN, data, index, out), stdout=fh, stderr=subprocess.STDOUT,
                           cwd=os.getcwd())
    atomic_write_json(Path(out) / "logs" / f"{case['id']}.json",
                      {"process_s": round(time.perf_counter() - t0, 4), "exit_code": r.returncode})
    return r.returncode


def run_local(out: Path, indices: list[int], jobs: int, progress=None) -> None:
    """Run the cases ``jobs`` at a time; results.csv is rebuilt after each one finishes."""
    lock = threading.Lock()
    data = read_manifest(out)

    def task(i):
        code = run_one(out, i)
        with lock:
            collect(out)
            if progress:
                progress(data["cases"][i]["id"], case_status(out, data["cases"][i]["id"]), code)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for f in [pool.submit(task, i) for i in indices]:
            f.result()


def slurm_script(out: Path, indices: list[int], jobs: int, ranks: int, name: str) -> Path:
    """OUT/sweep.sbatch: an array job over ``indices``, at most ``jobs`` tasks at once, each
    with ``ranks`` tasks (MPI ranks) on one node."""
    out = Path(out).resolve()
    array = ",".join(str(i) for i in indices)
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name=sprout-{name}",
        f"#SBATCH --array={array}%{max(1, jobs)}",
        f"#SBATCH --ntasks={ranks}",
        "#SBATCH --nodes=1",
        f"#SBATCH --output={out}/logs/slurm-%A_%a.out",
        "set -euo pipefail",
        f"cd {shlex.quote(os.getcwd())}",
        f"exec {shlex.quote(PYTHON)} -m solver sweep-case {shlex.quote(str(out))} \"$SLURM_ARRAY_TASK_ID\"",
        "",
    ]
    path = out / "sweep.sbatch"
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    tmp.chmod(0o755)
    tmp.replace(path)
    return path


def run_slurm(out: Path, indices: list[int], jobs: int, ranks: int, name: str, submit: bool = True) -> str | None:
    """Write the job script and, if ``submit``, submit it and wait for the array to end
    (``sbatch --wait``). Returns the job id (None when not submitted)."""
    script = slurm_script(out, indices, jobs, ranks, name)
    if not submit:
        return None
    r = subprocess.run(["sbatch", "--parsable", "--wait", str(script)], capture_output=True, text=True)
    job = r.stdout.strip().split(";")[0] if r.stdout.strip() else None
    if job is None:
        raise RuntimeError(f"sbatch refused the job: {r.stderr.strip()}")
    return job
