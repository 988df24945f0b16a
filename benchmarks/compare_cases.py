"""Every shipped case at two revisions, and their ``results`` compared.

A refactor must not change what a user reads. This runs each case file under ``cases/``
(cases and flows with ``sprout run``, sweeps with ``sprout sweep``) from a checkout of a
revision, and records every named result of every summary (a flow's steps and a sweep's
cases included) in one JSON file; ``compare`` then lists the keys that differ by more than a
relative tolerance.

    python benchmarks/compare_cases.py run --rev b803757 -o /tmp/before.json
    python benchmarks/compare_cases.py run --rev WORKTREE -o /tmp/after.json
    python benchmarks/compare_cases.py compare /tmp/before.json /tmp/after.json

``--rev WORKTREE`` runs this checkout as it is; any other revision is checked out into a
temporary git worktree and imported from there (``PYTHONPATH``), so the installed venv
serves both. Results that are timings (``mesh_s``) are recorded but never compared."""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMINGS = {"mesh_s"}  # wall-clock seconds reported as results: they differ run to run


def shipped_cases(tree: Path) -> list[Path]:
    """Every runnable TOML under cases/: step cases of a flow are run by their flow."""
    found = []
    for path in sorted((tree / "cases").rglob("*.toml")):
        rel = path.relative_to(tree / "cases")
        if rel.parts[0] == "flows" and len(rel.parts) > 2:
            continue  # a flow's step (cases/flows/process_a/*.toml), run through its flow
        found.append(path)
    return found


def collect(out: Path, kind: str) -> dict:
    """Named results of one run folder: the summary's, each flow step's, each sweep case's."""
    if kind == "sweep":
        table = out / "results.csv"
        if not table.exists():
            return {}
        rows = list(csv.DictReader(table.open()))
        flat = {}
        for i, row in enumerate(rows):
            for k, v in row.items():
                try:
                    flat[f"case{i}.{k}"] = float(v)
                except (TypeError, ValueError):
                    flat[f"case{i}.{k}"] = v
        return flat
    summary = json.loads((out / "summary.json").read_text())
    flat = {k: v for k, v in summary.get("results", {}).items()}
    for step in summary.get("steps", []) if summary.get("kind") == "flow" else []:
        sub = out / step["folder"] / "summary.json"
        if sub.exists():
            for k, v in json.loads(sub.read_text()).get("results", {}).items():
                flat[f"{step['step']}/{k}"] = v
    return flat


def run(rev: str, out_json: Path, ranks: int, only: list[str]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="sprout-compare-"))
    if rev == "WORKTREE":
        tree, label = ROOT, subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                           capture_output=True, text=True).stdout.strip() + "+worktree"
    else:
        tree = tmp / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev], check=True,
                       capture_output=True)
        label = rev
    env = dict(os.environ, PYTHONPATH=str(tree))
    launcher = [sys.executable] if ranks == 1 else [str(Path(sys.executable).parent / "mpirun"), "-n", str(ranks),
                                                    sys.executable]
    record = {"revision": label, "ranks": ranks, "cases": {}}
    try:
        for path in shipped_cases(tree):
            rel = str(path.relative_to(tree))
            if only and not any(o in rel for o in only):
                continue
            kind = "sweep" if "[sweep]" in path.read_text() else "case"
            out = tmp / "out" / rel.replace("/", "__").removesuffix(".toml")
            cmd = launcher + ["-m", "solver", "sweep" if kind == "sweep" else "run", str(path), "-o", str(out)]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            entry = {"exit": proc.returncode, "wall_s": round(wall, 2)}
            try:
                entry["results"] = collect(out, kind)
            except (OSError, ValueError, KeyError) as exc:
                entry["results"] = {}
                entry["error"] = f"{exc}; stderr: {proc.stderr[-2000:]}"
            if proc.returncode != 0:
                entry["stderr"] = proc.stderr[-2000:]
            record["cases"][rel] = entry
            print(f"{rel}: exit {proc.returncode}, {len(entry['results'])} results, {wall:.1f} s", flush=True)
            out_json.write_text(json.dumps(record, indent=1))
    finally:
        if rev != "WORKTREE":
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)


def compare(a_json: Path, b_json: Path, rtol: float) -> int:
    a, b = json.loads(a_json.read_text()), json.loads(b_json.read_text())
    print(f"{a['revision']} vs {b['revision']}, relative tolerance {rtol:g}")
    bad = 0
    for case in sorted(set(a["cases"]) | set(b["cases"])):
        ea, eb = a["cases"].get(case), b["cases"].get(case)
        if ea is None or eb is None:
            print(f"  {case}: only in {'the second' if ea is None else 'the first'}")
            bad += 1
            continue
        lines = []
        if ea["exit"] != eb["exit"]:
            lines.append(f"exit {ea['exit']} -> {eb['exit']}")
        ra, rb = ea["results"], eb["results"]
        for key in sorted(set(ra) | set(rb)):
            if key.rsplit("/", 1)[-1].rsplit(".", 1)[-1] in TIMINGS:
                continue
            if key not in ra or key not in rb:
                lines.append(f"{key}: only {'after' if key not in ra else 'before'}")
                continue
            va, vb = ra[key], rb[key]
            if isinstance(va, float) and isinstance(vb, float):
                if math.isnan(va) and math.isnan(vb):
                    continue
                scale = max(abs(va), abs(vb))
                if abs(va - vb) > rtol * scale:
                    lines.append(f"{key}: {va!r} -> {vb!r} (rel {abs(va - vb) / scale:.2e})")
            elif va != vb:
                lines.append(f"{key}: {va!r} -> {vb!r}")
        n = len(ra)
        print(f"  {case}: {'identical' if not lines else 'DIFFERS'} ({n} results, exit {eb['exit']})")
        for line in lines:
            print(f"      {line}")
        bad += bool(lines)
    print(f"{bad} case(s) differ")
    return 1 if bad else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--rev", required=True, help="a git revision, or WORKTREE for this checkout as it is")
    r.add_argument("-o", "--out", required=True, type=Path)
    r.add_argument("--ranks", type=int, default=1)
    r.add_argument("--only", action="append", default=[], help="run only case paths containing this text")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--rtol", type=float, default=1e-12)
    args = p.parse_args(argv)
    if args.command == "run":
        run(args.rev, args.out, args.ranks, args.only)
        return 0
    return compare(args.before, args.after, args.rtol)


if __name__ == "__main__":
    sys.exit(main())
