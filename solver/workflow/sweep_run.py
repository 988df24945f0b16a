"""``sprout sweep`` and ``sprout sweep-case``: the command-line side of sweeps."""

from __future__ import annotations

import os
from pathlib import Path

from solver.core.case import CaseError
from solver.core.outdir import claimed
from solver.core.progress import Progress
from solver.workflow.executors import run_local, run_one, run_slurm
from solver.workflow.registry import kind_of, load_case
from solver.workflow.sweep import (
    case_status,
    check_cases,
    collect,
    continues,
    expand,
    load_sweep,
    manifest,
    read_manifest,
    response_plots,
    write_manifest,
)

EXIT_OK, EXIT_FAILED = 0, 1


def run_sweep(args, log) -> int:
    if args.jobs < 1 or args.ranks < 1:
        raise CaseError("-j and --ranks must be at least 1")
    spec, base = load_sweep(args.sweep)
    cases = expand(spec, args.max_cases)
    check_cases(base, spec, cases)
    with claimed(args.out, log=log) as out:
        return _run_sweep_claimed(args, log, spec, base, cases, out)


def _run_sweep_claimed(args, log, spec, base, cases, out: Path) -> int:
    data = manifest(spec, base, cases, args.ranks)
    if (out / "manifest.json").exists():
        old = read_manifest(out)
        if not args.resume:
            raise CaseError(f"-o {out}: holds a sweep already; pass --resume to continue it, or choose another "
                            "directory")
        sample = old.get("sample") if isinstance(old.get("sample"), dict) else {}
        if sample.get("batches") and sample.get("samples", 0) <= len(cases):
            # the design continues the old one: its batches, and one more for samples added
            extended = expand(spec, args.max_cases, extends=sample)
            if [c.values for c in extended] != [c.values for c in cases]:
                check_cases(base, spec, extended)
                cases, data = extended, manifest(spec, base, extended, args.ranks)
        if not continues(old, data):
            raise CaseError(f"-o {out}: holds a different sweep ({old.get('sweep')}); --resume continues the "
                            "same sweep only (or extends it when its samples are raised)")
    elif out.exists() and any(out.iterdir()):
        raise CaseError(f"-o {out}: exists and is not a sweep directory")
    write_manifest(out, data)
    todo = [i for i, c in enumerate(cases) if not (args.resume and case_status(out, c.id) == "ok")]
    cores = os.cpu_count() or 1
    if args.executor == "local" and args.jobs * args.ranks > cores:
        log.warning("%d cases x %d ranks on %d cores: they will compete for them", args.jobs, args.ranks, cores)
    log.info("sweep %s: %d cases (%s), %d to run, %s executor", spec.name, len(cases), spec.method, len(todo),
             args.executor)
    if todo:
        if args.executor == "local":
            pace = Progress(len(todo))
            tally = {"done": 0, "failed": 0}

            def progress(case_id, status, code):
                tally["done"] += 1
                tally["failed"] += code != 0
                note = status if code == 0 else f"{status} (exit {code}, see logs/{case_id}.log)"
                failed = f", {tally['failed']} failed" if tally["failed"] else ""
                log.info("  %s: %s  [%d/%d%s; %s]", case_id, note, tally["done"], len(todo), failed,
                         pace.tag(tally["done"]))

            run_local(out, todo, args.jobs, progress, isolated=args.isolated)
        else:
            job = run_slurm(out, todo, args.jobs, args.ranks, spec.name, submit=not args.no_submit)
            if job is None:
                log.info("wrote %s; submit it with sbatch, then run this command again with --resume to collect",
                         out / "sweep.sbatch")
                return EXIT_OK
            log.info("SLURM job %s finished", job)
    header, rows = collect(out)
    responses = spec.responses or default_responses(header, load_case(base, spec.set))
    response_plots(out, header, rows, responses)
    ok = sum(r["status"] == "ok" for r in rows)
    log.info("sweep %s: %d of %d cases ok -> %s", spec.name, ok, len(rows), out / "results.csv")
    print(f"{spec.name}: {ok} of {len(rows)} cases ok -> {out / 'results.csv'}")
    return EXIT_OK if ok == len(rows) else EXIT_FAILED


def run_sweep_case(args) -> int:
    data = read_manifest(Path(args.out))
    if not 0 <= args.index < len(data["cases"]):
        raise CaseError(f"INDEX: {args.index} is not a case of this sweep (0 .. {len(data['cases']) - 1})")
    return run_one(Path(args.out), args.index)


def default_responses(header: list[str], base_case) -> list[str]:
    """What a sweep plots when its file names nothing: the base kind's key results (a flow's:
    lengths and stresses, its steps' key results being in its summary), at most three."""
    record = kind_of(base_case)
    keys = [h for h in header if h in record.key_results] or [h for h in header if h.endswith(("_um", "_MPa"))]
    return keys[:3]
