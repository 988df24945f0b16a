"""Where sweep cases run: here (N cases at once, each on k MPI ranks) or on a SLURM cluster
(one ``sbatch --array`` job, each array task running its case with MPI).

Cases on k > 1 ranks, SLURM tasks (through ``sprout sweep-case OUT INDEX``) and
``--isolated`` local runs start one ``sprout run`` process per case
(``sweep.case_command``). Local one-rank cases go to long-lived workers (``sprout
sweep-worker OUT``, one per job slot) that run case after case in-process: Python, dolfinx
and the compiled forms are loaded once per worker, not once per case. A worker that dies
takes only its current case with it (recorded as failed) and is replaced. The SLURM job
script is written to ``OUT/sweep.sbatch`` whether or not it is submitted.
"""

from __future__ import annotations

import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from solver.core.output import atomic_write_json
from solver.workflow.sweep import case_argv, case_command, case_status, collect, read_manifest

PYTHON = sys.executable
MPIRUN = str(Path(sys.executable).parent / "mpirun")


# The case processes running now: a sweep told to stop (SIGTERM, Ctrl-C) passes the signal
# on, so each case ends as an interrupted run (its checkpoint kept) instead of running on
# without its parent.
_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()


def _started(proc: subprocess.Popen) -> subprocess.Popen:
    with _children_lock:
        _children.add(proc)
    return proc


def _ended(proc: subprocess.Popen) -> None:
    with _children_lock:
        _children.discard(proc)


def stop_children() -> None:
    with _children_lock:
        procs = list(_children)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)


def run_one(out: Path, index: int) -> int:
    """Run case ``index`` of the sweep in ``out`` (its log in OUT/logs/<id>.log)."""
    data = read_manifest(out)
    case = data["cases"][index]
    log = Path(out) / "logs" / f"{case['id']}.log"
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc = _started(subprocess.Popen(case_command(PYTHON, MPIRUN, data, index, out), stdout=fh,
                                         stderr=subprocess.STDOUT, cwd=os.getcwd()))
        try:
            code = proc.wait()
        finally:
            _ended(proc)
    atomic_write_json(Path(out) / "logs" / f"{case['id']}.json",
                      {"process_s": round(time.perf_counter() - t0, 4), "exit_code": code})
    return code


def run_local(out: Path, indices: list[int], jobs: int, progress=None, isolated: bool = False) -> None:
    """Run the cases ``jobs`` at a time; results.csv is rebuilt after each one finishes. An
    interrupt (SIGTERM, Ctrl-C) stops handing out cases, is passed to the running ones, and
    is raised again once they have ended (``--resume`` redoes them)."""
    lock = threading.Lock()
    stopping = threading.Event()
    data = read_manifest(out)
    pending = queue.Queue()
    for i in indices:
        pending.put(i)
    use_workers = data["ranks"] == 1 and not isolated

    def finished(i, code):
        with lock:
            collect(out)
            if progress:
                progress(data["cases"][i]["id"], case_status(out, data["cases"][i]["id"]), code)

    def slot():
        worker = Worker(out) if use_workers else None
        try:
            while not stopping.is_set():
                try:
                    i = pending.get_nowait()
                except queue.Empty:
                    return
                if worker is None:
                    code = run_one(out, i)
                else:
                    code = worker.run(i)
                    if code is None and stopping.is_set():
                        return  # the worker was told to stop with the case: its summary says so
                    if code is None:  # the worker died with the case
                        code = -1
                        atomic_write_json(Path(out) / "logs" / f"{data['cases'][i]['id']}.json",
                                          {"process_s": float("nan"), "exit_code": code})
                        worker = Worker(out)
                finished(i, code)
        finally:
            if worker is not None:
                worker.close()

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        for f in [pool.submit(slot) for _ in range(max(1, min(jobs, len(indices))))]:
            f.result()
    except BaseException:
        stopping.set()
        stop_children()
        raise
    finally:
        pool.shutdown(wait=True)


class Worker:
    """A ``sprout sweep-worker`` process: it reads case indices on stdin and answers
    ``done INDEX EXIT_CODE`` on stdout when the case has been written."""

    def __init__(self, out: Path):
        self.proc = _started(subprocess.Popen([PYTHON, "-m", "solver", "sweep-worker", str(out)],
                                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                              stderr=subprocess.DEVNULL, text=True, cwd=os.getcwd()))

    def run(self, index: int) -> int | None:
        try:
            self.proc.stdin.write(f"{index}\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            return None
        parts = line.split()
        if len(parts) != 3 or parts[0] != "done":
            self.proc.kill()
            return None
        return int(parts[2])

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
        _ended(self.proc)


def worker_loop(out: Path, sprout_main) -> int:
    """The worker's side: each index read from stdin runs ``sprout_main(argv)`` (the CLI's
    entry) in this process, its log going to OUT/logs/<id>.log, its timing to
    OUT/logs/<id>.json."""
    import contextlib
    import logging

    out = Path(out)
    data = read_manifest(out)
    answer = sys.stdout
    log = logging.getLogger("sprout")
    for line in sys.stdin:
        i = int(line)
        case = data["cases"][i]
        argv = case_argv(data, i, out)
        t0 = time.perf_counter()
        with open(out / "logs" / f"{case['id']}.log", "w") as fh:
            streams = [(h, h.stream) for h in log.handlers if isinstance(h, logging.StreamHandler)]
            for h, _ in streams:
                h.setStream(fh)
            try:
                with contextlib.redirect_stdout(fh), contextlib.redirect_stderr(fh):
                    code = sprout_main(argv)
            except SystemExit as exc:  # argparse
                code = int(exc.code or 0)
            finally:
                for h, stream in streams:
                    h.setStream(stream)
        atomic_write_json(out / "logs" / f"{case['id']}.json",
                          {"process_s": round(time.perf_counter() - t0, 4), "exit_code": code, "in_worker": True})
        answer.write(f"done {i} {code}\n")
        answer.flush()
    return 0


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
