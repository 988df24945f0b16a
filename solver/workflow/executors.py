"""Where sweep cases run: here (N cases at once, each on k MPI ranks) or on a SLURM cluster
(one ``sbatch --array`` job, each array task running its case with MPI).

Cases on k > 1 ranks, SLURM tasks (through ``sprout sweep-case OUT INDEX``) and
``--isolated`` local runs start one ``sprout run`` process per case
(``sweep.case_command``). Local one-rank cases go to long-lived workers (``sprout
sweep-worker OUT``, one per job slot) that run case after case in-process: Python, dolfinx
and the compiled forms are loaded once per worker, not once per case. A worker that dies
takes only its current case with it (recorded as failed) and is replaced. SLURM's side
(scripts, submission, the queue) is in ``solver.workflow.slurm``.
"""

from __future__ import annotations

import math
import os
import queue
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
COLLECT_EVERY_S = 2.0
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


def run_one(out: Path, index: int, srun_mpi: str | None = None) -> int:
    """Run case ``index`` of the sweep in ``out`` (its log in OUT/logs/<id>.log); under
    ``srun --mpi=srun_mpi`` instead of mpirun when given (a SLURM task)."""
    data = read_manifest(out)
    case = data["cases"][index]
    log = Path(out) / "logs" / f"{case['id']}.log"
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc = _started(subprocess.Popen(case_command(PYTHON, MPIRUN, data, index, out, srun_mpi), stdout=fh,
                                         stderr=subprocess.STDOUT, cwd=os.getcwd()))
        try:
            code = proc.wait()
        finally:
            _ended(proc)
    atomic_write_json(Path(out) / "logs" / f"{case['id']}.json",
                      {"process_s": round(time.perf_counter() - t0, 4), "exit_code": code})
    return code


def run_local(out: Path, indices: list[int], jobs: int, progress=None, isolated: bool = False) -> None:
    """Run the cases ``jobs`` at a time; results.csv is rebuilt as they finish. An
    interrupt (SIGTERM, Ctrl-C) stops handing out cases, is passed to the running ones, and
    is raised again once they have ended (``--resume`` redoes them)."""
    lock = threading.Lock()
    stopping = threading.Event()
    data = read_manifest(out)
    pending = queue.Queue()
    for i in indices:
        pending.put(i)
    use_workers = data["ranks"] == 1 and not isolated

    last = {"collected": -math.inf}

    def finished(i, code):
        with lock:
            # results.csv reads every case's summary: rebuilt at most every COLLECT_EVERY_S
            # (and once more when the sweep ends), so that a sweep of thousands of short
            # cases does not spend its time re-reading the finished ones
            if time.monotonic() - last["collected"] >= COLLECT_EVERY_S:
                collect(out)
                last["collected"] = time.monotonic()
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
        collect(out)  # every case that ended, also when the sweep was told to stop


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
    """The worker's side: each index read from stdin runs in this process
    (``run_in_process``); the answer goes to stdout."""
    out = Path(out)
    answer = sys.stdout
    for line in sys.stdin:
        i = int(line)
        code = run_in_process(out, i, sprout_main)
        answer.write(f"done {i} {code}\n")
        answer.flush()
    return 0


def run_in_process(out: Path, index: int, sprout_main) -> int:
    """Case ``index`` run by ``sprout_main(argv)`` (the CLI's entry) in this process, its log
    going to OUT/logs/<id>.log, its timing to OUT/logs/<id>.json: a worker's case, and a
    one-rank SLURM task's (one interpreter start per case instead of two)."""
    import contextlib
    import logging

    out = Path(out)
    data = read_manifest(out)
    log = logging.getLogger("sprout")
    case = data["cases"][index]
    argv = case_argv(data, index, out)
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
                      {"process_s": round(time.perf_counter() - t0, 4), "exit_code": code, "in_process": True})
    return code
