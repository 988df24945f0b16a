"""Sweeps on a SLURM cluster: the ``[slurm]`` options, the array job scripts, submission and
the queue.

The cases to run go out as ``sbatch --array`` jobs of at most MaxArraySize tasks each (the
cluster's ``scontrol show config`` value unless ``max_array_size`` says otherwise): SLURM
refuses an array whose size or largest index reaches that limit, so every chunk numbers its
tasks 0..k-1 and its script maps a task to its case (a bash array). Chunks are chained with
``--dependency=afterany`` so that the throttle ``%N`` (``-j N``) holds across the whole sweep,
not per chunk. A task runs ``sprout sweep-case OUT INDEX``, which starts the case under
``srun --mpi=<mpi>`` when it has several ranks; a task whose case is already complete does
nothing, so a requeued task (``requeue = true``, after a node failure or preemption) redoes
only its own case, and ``--resume`` resubmits only what is not done.

The job ids, with the case indices of each chunk, are appended to ``OUT/slurm/jobs.json``:
``sprout status OUT`` asks ``squeue`` about them.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from solver.core.case import CaseError
from solver.core.errors import ClusterError
from solver.core.output import atomic_write_json

PYTHON = sys.executable

_NAME = r"[A-Za-z0-9_.+-]+"
# SLURM's time formats: minutes, minutes:seconds, hours:minutes:seconds, days-hours,
# days-hours:minutes, days-hours:minutes:seconds; or no limit.
_TIME = re.compile(r"^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}"
                   r"|UNLIMITED|INFINITE)$")
_MEM = re.compile(r"^\d+[KMGT]?$")
_CONSTRAINT = re.compile(r"^[A-Za-z0-9_.,&|*:\[\]()-]+$")
_SYNTAX = {  # field: (pattern, what a value must be)
    "time": (_TIME, "a SLURM time (minutes, 'HH:MM:SS' or 'D-HH:MM:SS')"),
    "mem": (_MEM, "a SLURM memory size (a whole number with K, M, G or T)"),
    "constraint": (_CONSTRAINT, "a SLURM feature expression"),
}


class SlurmOptions(BaseModel):
    """What a cluster user sets for a sweep's jobs; None leaves SLURM's default."""

    model_config = ConfigDict(extra="forbid")
    time: str | None = Field(None, description="time limit per case (task), e.g. '30', '2:00:00', '1-12:00:00'")
    partition: str | None = Field(None, pattern=f"^{_NAME}(,{_NAME})*$")
    account: str | None = Field(None, pattern=f"^{_NAME}$")
    qos: str | None = Field(None, pattern=f"^{_NAME}$")
    mem: str | None = Field(None, description="memory per node of a task, e.g. '4G', '16000M'")
    constraint: str | None = Field(None, description="node features, e.g. 'skylake&ib'")
    extra: list[str] = Field(default_factory=list, max_length=50,
                             description="more #SBATCH options, one per entry, e.g. '--mail-type=END'")
    requeue: bool = Field(False, description="let SLURM requeue a task after a node failure or preemption")
    mpi: str = Field("pmi2", pattern=f"^{_NAME}$", description="srun --mpi for multi-rank cases (pmi2, pmix)")
    max_array_size: int | None = Field(None, ge=1, le=10_000_000,
                                       description="tasks per array job (default: the cluster's MaxArraySize)")
    poll_s: float = Field(10.0, gt=0, le=3600, description="seconds between looks at the queue while waiting")

    @field_validator("time", "mem", "constraint")
    @classmethod
    def _slurm_syntax(cls, v, info):
        pattern, what = _SYNTAX[info.field_name]
        if v is not None and not pattern.match(v):
            raise ValueError(f"{v!r} is not {what}")
        return v

    @field_validator("extra")
    @classmethod
    def _extra(cls, v):
        for line in v:
            if not re.match(r"^--?[A-Za-z]", line) or any(c in line for c in "\n\r\0"):
                raise ValueError(f"{line[:80]!r} is not one sbatch option ('--name=value')")
            if re.match(r"^--(array|output|error|ntasks|job-name|wrap)\b", line):
                raise ValueError(f"{line[:80]!r}: {line.split('=')[0]} is set by sprout")
        return v

    def merged(self, **cli) -> "SlurmOptions":
        """These options with the command line's given ones (not None) on top; extra lines add up."""
        update = {k: v for k, v in cli.items() if v is not None and k != "extra"}
        extra = list(self.extra) + list(cli.get("extra") or [])
        return SlurmOptions.model_validate({**self.model_dump(), **update, "extra": extra})


# -- scripts --------------------------------------------------------------------------------------
def chunks(indices: list[int], size: int) -> list[list[int]]:
    return [indices[k:k + size] for k in range(0, len(indices), size)]


def directives(out: Path, tasks: int, jobs: int, ranks: int, name: str, opts: SlurmOptions) -> list[str]:
    """The script's first line and its #SBATCH lines: an array of ``tasks``, at most ``jobs``
    at once, each on ``ranks`` MPI ranks of one node, with the user's options."""
    lines = ["#!/bin/bash", f"#SBATCH --job-name=sprout-{name}", f"#SBATCH --array=0-{tasks - 1}%{max(1, jobs)}",
             f"#SBATCH --ntasks={ranks}", "#SBATCH --nodes=1",
             f"#SBATCH --output={Path(out).resolve()}/logs/slurm-%A_%a.out"]
    for key in ("time", "partition", "account", "qos", "mem", "constraint"):
        value = getattr(opts, key)
        if value is not None:
            lines.append(f"#SBATCH --{key}={value}")
    if opts.requeue:
        lines += ["#SBATCH --requeue", "#SBATCH --open-mode=append"]
    return lines + [f"#SBATCH {line}" for line in opts.extra]


def array_script(out: Path, indices: list[int], jobs: int, ranks: int, name: str, opts: SlurmOptions,
                 chunk: int) -> str:
    """The job script of one chunk: task t runs case ``indices[t]``, at most ``jobs`` at once."""
    out = Path(out).resolve()
    lines = directives(out, len(indices), jobs, ranks, name, opts)
    cases = " ".join(str(i) for i in indices)
    launcher = f" --srun-mpi {shlex.quote(opts.mpi)}" if ranks > 1 else ""
    lines += [
        "set -euo pipefail",
        f"# chunk {chunk}: array task t runs case CASES[t] of the sweep's manifest.json",
        f"CASES=({cases})",
        f"cd {shlex.quote(os.getcwd())}",
        f"exec {shlex.quote(PYTHON)} -m solver sweep-case {shlex.quote(str(out))} "
        f"\"${{CASES[$SLURM_ARRAY_TASK_ID]}}\"{launcher}",
        "",
    ]
    return "\n".join(lines)


def write_scripts(out: Path, indices: list[int], jobs: int, ranks: int, name: str,
                  opts: SlurmOptions, max_array: int) -> list[tuple[Path, list[int]]]:
    """OUT/slurm/array-<k>.sbatch for each chunk, and submit.sh that submits them chained."""
    folder = Path(out) / "slurm"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for k, part in enumerate(chunks(indices, max_array)):
        path = folder / f"array-{k}.sbatch"
        _write_executable(path, array_script(out, part, jobs, ranks, name, opts, k))
        written.append((path, part))
    submit = ["#!/bin/bash", "# submits the arrays in order, each after the previous one has ended", "set -eu",
              "dep=()"]
    for path, _ in written:
        submit += [f"job=$(sbatch --parsable \"${{dep[@]}}\" {shlex.quote(str(path.resolve()))})",
                   "job=${job%%;*}", "echo \"submitted $job\"", "dep=(--dependency=afterany:$job)"]
    _write_executable(folder / "submit.sh", "\n".join(submit) + "\n")
    return written


def _write_executable(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.chmod(0o755)
    tmp.replace(path)


# -- the cluster ----------------------------------------------------------------------------------
def _call(argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise CaseError(f"--executor slurm: {argv[0]} not found; is this a SLURM login node?") from None
    except subprocess.TimeoutExpired:
        raise ClusterError(f"{argv[0]} did not answer in {timeout:.0f} s (is slurmctld up?)") from None


def max_array_size(opts: SlurmOptions) -> int:
    """Tasks per array job: the option, else the cluster's MaxArraySize (indices run to size - 1)."""
    if opts.max_array_size is not None:
        return opts.max_array_size
    r = _call(["scontrol", "show", "config"])
    match = re.search(r"^MaxArraySize\s*=\s*(\d+)", r.stdout, re.MULTILINE)
    return int(match[1]) if match else 1001  # SLURM's default


def check_submission(opts: SlurmOptions, ranks: int, name: str) -> None:
    """``sbatch --test-only`` of a job with these options: the cluster judges partition,
    account, qos, time and memory before anything is written or queued (exit 2 with its
    words)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "probe.sbatch"
        script.write_text("\n".join(directives(Path(tmp), 1, 1, ranks, name, opts) + ["true", ""]))
        r = _call(["sbatch", "--test-only", str(script)])
    if r.returncode != 0:
        words = " ".join(line.removeprefix("sbatch: error: ") for line in r.stderr.strip().splitlines())
        raise CaseError(f"slurm: the cluster refuses the job: {words or 'sbatch --test-only failed'}")


def submit(out: Path, scripts: list[tuple[Path, list[int]]]) -> list[str]:
    """Submit the chunks chained (afterany), recording each job in OUT/slurm/jobs.json as it
    is accepted; a refusal cancels the chunks already queued."""
    jobs: list[str] = []
    for k, (script, indices) in enumerate(scripts):
        dep = [f"--dependency=afterany:{jobs[-1]}"] if jobs else []
        r = _call(["sbatch", "--parsable", *dep, str(script)])
        job = r.stdout.strip().split(";")[0]
        if r.returncode != 0 or not job.isdigit():
            if jobs:
                _call(["scancel", *jobs])
            raise ClusterError(f"sbatch refused array {k} ({script.name}): {r.stderr.strip() or r.stdout.strip()}")
        jobs.append(job)
        record_job(out, job, script, indices)
    return jobs


def record_job(out: Path, job: str, script: Path, indices: list[int]) -> None:
    path = Path(out) / "slurm" / "jobs.json"
    data = read_jobs(out)
    data.append({"job_id": job, "script": script.name, "cases": indices,
                 "submitted_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    atomic_write_json(path, data)


def read_jobs(out: Path) -> list[dict]:
    try:
        return json.loads((Path(out) / "slurm" / "jobs.json").read_text())
    except (OSError, ValueError):
        return []


def queue(jobs: list[str]) -> dict[str, dict[int, str]] | None:
    """{job id: {array task: state}} of those jobs still in the queue (PENDING, RUNNING, ...);
    None when squeue cannot be asked (not a SLURM host, controller down)."""
    try:
        r = subprocess.run(["squeue", "-h", "-u", getpass.getuser(), "-r", "-o", "%F|%K|%T"],
                           capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    wanted = set(jobs)
    found: dict[str, dict[int, str]] = {}
    for line in r.stdout.splitlines():
        parts = line.strip().split("|")
        if len(parts) != 3 or parts[0] not in wanted:
            continue
        for task in _task_ids(parts[1]):
            found.setdefault(parts[0], {})[task] = parts[2]
    return found


def _task_ids(text: str) -> list[int]:
    """'3' -> [3]; '2-5%2' -> [2, 3, 4, 5]; '1,4-5' -> [1, 4, 5] (squeue's %K)."""
    ids = []
    for part in text.split("%")[0].split(","):
        if "-" in part:
            lo, hi = part.split("-", 1)
            if lo.isdigit() and hi.isdigit():
                ids += range(int(lo), int(hi) + 1)
        elif part.isdigit():
            ids.append(int(part))
    return ids


def queued_cases(out: Path) -> dict[int, str] | None:
    """{case index: SLURM state} of the sweep's cases still in the queue; None if unknown."""
    records = read_jobs(out)
    if not records:
        return {}
    found = queue([r["job_id"] for r in records])
    if found is None:
        return None
    states = {}
    for r in records:
        for task, state in found.get(r["job_id"], {}).items():
            if 0 <= task < len(r["cases"]):
                states[r["cases"][task]] = state
    return states


def wait(jobs: list[str], poll_s: float, on_poll=None) -> None:
    """Until none of ``jobs`` is in the queue; ``on_poll()`` after each look (progress). The
    looks start a second apart and space out to ``poll_s``: a short sweep ends promptly and a
    long one does not keep asking the controller."""
    misses, pause = 0, min(1.0, poll_s)
    while True:
        found = queue(jobs)
        if found is None:
            misses += 1
            if misses >= 30:
                raise ClusterError(f"squeue has not answered for {misses} tries; the jobs {', '.join(jobs)} may "
                                   "still run: see sprout status OUT, and --resume to collect")
        else:
            misses = 0
            if not found:
                return
        if on_poll:
            on_poll()
        time.sleep(pause)
        pause = min(poll_s, pause * 1.5)
