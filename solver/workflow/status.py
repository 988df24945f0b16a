"""``sprout status OUT``: how far a sweep is, running or finished.

Each case is ``ok``, ``failed`` (with the one-line reason its summary or exit code gives),
``interrupted``, ``running`` (a run holds its folder's lock now: on this host its process is
alive; on a cluster node the lock says so), ``queued`` (a SLURM task of the sweep waits for
it: ``squeue`` asked about the job ids in OUT/slurm/jobs.json) or ``pending``. Nothing is
locked or written: a look never disturbs the sweep."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from solver.core.case import CaseError
from solver.core.outdir import holder
from solver.workflow import slurm
from solver.workflow.sweep import read_manifest

ORDER = ("ok", "failed", "interrupted", "running", "queued", "pending")


@dataclass
class CaseState:
    id: str
    state: str
    reason: str = ""
    results: dict = field(default_factory=dict)


def case_states(out: Path, queued: dict[int, str] | None = None) -> list[CaseState]:
    """Each case's state; ``queued``: the SLURM states of the cases still in the queue
    (``slurm.queued_cases``), asked here when not given."""
    out = Path(out)
    try:
        data = read_manifest(out)
    except (OSError, ValueError):
        raise CaseError(f"OUT {out}: not a sweep's output folder (no readable manifest.json)") from None
    if queued is None:
        queued = slurm.queued_cases(out) or {}
    states = []
    for index, case in enumerate(data["cases"]):
        cid = case["id"]
        folder = out / "cases" / cid
        summary = _json(folder / "summary.json")
        # a SLURM task for a case that is not complete yet decides (a resubmitted failed case
        # is queued again); one for a complete case is a requeue that will do nothing
        task = queued.get(index) if (summary or {}).get("status") != "ok" else None
        if holder(folder) is not None or task in ("RUNNING", "COMPLETING"):
            states.append(CaseState(cid, "running"))
        elif task is not None:
            states.append(CaseState(cid, "queued", task.lower()))
        elif summary is not None:
            status = summary.get("status", "failed")
            state = status if status in ("ok", "interrupted") else "failed"
            reason = " ".join(str(summary.get("error") or summary.get("reason") or "").split())
            states.append(CaseState(cid, state, reason[:200], summary.get("results", {})))
        else:
            log = _json(out / "logs" / f"{cid}.json")
            code = log.get("exit_code") if log else None
            if code not in (None, 0):
                states.append(CaseState(cid, "failed", f"exit {code} without a summary; see logs/{cid}.log"))
            else:
                states.append(CaseState(cid, "pending"))
    return states


def status_text(out: Path, responses: list[str] | None = None) -> str:
    out = Path(out)
    queued = slurm.queued_cases(out)  # None: squeue did not answer
    states = case_states(out, queued or {})
    counts = {s: sum(c.state == s for c in states) for s in ORDER}
    done = counts["ok"] + counts["failed"]
    lines = [f"{out.name}: {done} of {len(states)} cases done ("
             + ", ".join(f"{counts[s]} {s}" for s in ORDER if counts[s]) + ")"]
    for c in states:
        if c.state == "failed":
            lines.append(f"  failed {c.id}: {c.reason or 'no reason recorded'}")
    for c in states:
        if c.state == "running":
            lines.append(f"  running {c.id}")
    jobs = slurm.read_jobs(out)
    if jobs:
        lines.append("  SLURM jobs: " + ", ".join(dict.fromkeys(j["job_id"] for j in jobs))
                     + ("" if counts["queued"] or counts["running"] else " (none in the queue now)"))
        if queued is None:
            lines.append("  (squeue did not answer here: cases waiting in the queue show as pending)")
    ok = [c for c in states if c.state == "ok"]
    if responses is None:
        responses = _responses(out)
    for key in responses:
        values = [c.results[key] for c in ok if isinstance(c.results.get(key), (int, float))
                  and math.isfinite(c.results[key])]
        if values:
            lines.append(f"  {key}: {min(values):.6g} .. {max(values):.6g} over {len(values)} case(s)")
    if (out / "results.csv").exists():
        lines.append(f"  results so far: {out / 'results.csv'}")
    return "\n".join(lines)


def _responses(out: Path) -> list[str]:
    spec = _json(out / "manifest.json") or {}
    return list(spec.get("responses", []))


def _json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
