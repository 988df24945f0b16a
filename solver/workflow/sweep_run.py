"""``sprout sweep`` and ``sprout sweep-case``: the command-line side of sweeps."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from pydantic import ValidationError

from solver.core.case import CaseError, format_validation_error
from solver.core.outdir import claimed
from solver.core.progress import Progress
from solver.workflow import slurm
from solver.workflow.analyze import analysis_text, analyze_sweep
from solver.workflow.executors import run_in_process, run_local, run_one
from solver.workflow.registry import kind_of, load_case
from solver.workflow.sweep import (
    case_status,
    check_cases,
    collect,
    collect_warnings,
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
    opts = slurm_options(args, spec)
    if args.executor == "slurm" and not args.no_submit:
        slurm.check_submission(opts, args.ranks, spec.name)  # the cluster's word before OUT is touched
    with claimed(args.out, log=log) as out:
        return _run_sweep_claimed(args, log, spec, base, cases, out, opts)


def _run_sweep_claimed(args, log, spec, base, cases, out: Path, opts) -> int:
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
        elif not run_on_slurm(args, log, spec, out, todo, opts):
            return EXIT_OK
    header, rows = collect(out)
    responses = spec.responses or default_responses(header, load_case(base, spec.set))
    response_plots(out, header, rows, responses)
    ok = sum(r["status"] == "ok" for r in rows)
    warned, cases_warned = collect_warnings(out)
    note = (f", {warned} warning{'s' if warned > 1 else ''} in {cases_warned} case{'s' if cases_warned > 1 else ''}"
            f" ({out / 'warnings.txt'})" if warned else "")
    if ok >= 2:  # the design questions, as `sprout analyze OUT` answers them
        result = analyze_sweep(out, log, responses=responses)
        if result is not None:
            for line in analysis_text(result).splitlines():
                log.info("%s", line)
    log.info("sweep %s: %d of %d cases ok%s -> %s", spec.name, ok, len(rows), note, out / "results.csv")
    print(f"{spec.name}: {ok} of {len(rows)} cases ok{note} -> {out / 'results.csv'}")
    return EXIT_OK if ok == len(rows) else EXIT_FAILED


def slurm_options(args, spec) -> slurm.SlurmOptions:
    """The sweep file's [slurm] table with the command line's options on top (exit 2 naming
    the option when a value is not one SLURM takes)."""
    cli = {k: getattr(args, k, None) for k in ("time", "partition", "account", "qos", "mem", "constraint")}
    cli = {k: v for k, v in cli.items() if v is not None}
    if getattr(args, "requeue", False):
        cli["requeue"] = True
    if getattr(args, "sbatch", None):
        cli["extra"] = args.sbatch
    try:
        slurm.SlurmOptions.model_validate(cli)
    except ValidationError as exc:
        text = format_validation_error(exc, cli)
        raise CaseError("--" + (text.replace("extra", "sbatch", 1) if text.startswith("extra") else text)) from None
    return spec.slurm.merged(**cli)


def run_on_slurm(args, log, spec, out: Path, todo: list[int], opts: slurm.SlurmOptions) -> bool:
    """Submit the cases as chained array jobs and wait for them, reporting progress; False
    when only the scripts were asked for (--no-submit)."""
    size = slurm.max_array_size(opts) if not args.no_submit or opts.max_array_size else 1001
    # a resumed sweep whose earlier jobs are still queued waits for them instead of running
    # their cases twice (the first waiter may have been a login session that ended)
    queued = {} if args.no_submit else (slurm.queued_cases(out) or {})
    waiting = [i for i in todo if i in queued]
    todo = [i for i in todo if i not in queued]
    earlier = [r["job_id"] for r in slurm.read_jobs(out) if set(waiting) & set(r["cases"])]
    if waiting:
        log.info("%d case(s) still queued in SLURM job(s) %s: waiting for them", len(waiting), ", ".join(earlier))
    scripts = slurm.write_scripts(out, todo, args.jobs, args.ranks, spec.name, opts, size) if todo else []
    if args.no_submit:
        log.info("wrote %d array job script(s) in %s; submit them with %s, then run this command again with "
                 "--resume to collect", len(scripts), out / "slurm", out / "slurm" / "submit.sh")
        return False
    jobs = slurm.submit(out, scripts) if scripts else []
    if jobs:
        log.info("submitted SLURM job%s %s (%d case%s in %d array%s of at most %d tasks, %d at once)",
                 "s" if len(jobs) > 1 else "", ", ".join(jobs), len(todo), "s" if len(todo) > 1 else "", len(jobs),
                 "s" if len(jobs) > 1 else "", size, args.jobs)
    todo = todo + waiting
    jobs = earlier + jobs
    pace = Progress(len(todo))
    listed = read_manifest(out)["cases"]
    ids = [listed[i]["id"] for i in todo]
    seen = {"done": 0}

    def look():
        states = [case_status(out, cid) for cid in ids]
        done = sum(s in ("ok", "failed") for s in states)
        if done != seen["done"]:
            seen["done"] = done
            failed = sum(s == "failed" for s in states)
            log.info("  %d/%d cases done%s; %s", done, len(todo), f", {failed} failed" if failed else "",
                     pace.tag(done))

    try:
        slurm.wait(jobs, opts.poll_s, look)
    except KeyboardInterrupt:
        log.warning("stopped waiting; the SLURM jobs %s go on (sprout status %s; scancel to stop them, "
                    "--resume to collect)", ", ".join(jobs), out)
        raise
    look()
    log.info("SLURM job%s %s ended", "s" if len(jobs) > 1 else "", ", ".join(jobs))
    return True


def run_sweep_case(args, sprout_main) -> int:
    """One case of a prepared sweep (a SLURM array task): a one-rank case in this process, a
    multi-rank one under srun. A case already complete is left as it is: a requeued or
    resubmitted task redoes only an unfinished case."""
    out = Path(args.out)
    data = read_manifest(out)
    if not 0 <= args.index < len(data["cases"]):
        raise CaseError(f"INDEX: {args.index} is not a case of this sweep (0 .. {len(data['cases']) - 1})")
    case_id = data["cases"][args.index]["id"]
    if case_status(out, case_id) == "ok":
        print(f"{case_id}: complete already; nothing to do")
        return EXIT_OK
    if data["ranks"] == 1:
        return run_in_process(out, args.index, sprout_main)
    return run_one(out, args.index, getattr(args, "srun_mpi", None))


def responses_of(out: Path) -> list[str] | None:
    """What the sweep in OUT plots and analyses: its responses, else the base kind's key
    results among its results.csv columns; None when OUT says too little to tell."""
    try:
        data = read_manifest(out)
        if data.get("responses"):
            return list(data["responses"])
        with open(Path(out) / "results.csv", newline="") as fh:
            header = next(csv.reader(fh), [])
        return default_responses(header, load_case(Path(data["base"]), data["set"]))
    except (OSError, ValueError, KeyError):  # CaseError is a ValueError: the base moved or changed
        return None


def default_responses(header: list[str], base_case) -> list[str]:
    """What a sweep plots when its file names nothing: the base kind's key results (a flow's:
    lengths and stresses, its steps' key results being in its summary), at most three."""
    record = kind_of(base_case)
    keys = [h for h in header if h in record.key_results] or [h for h in header if h.endswith(("_um", "_MPa"))]
    return keys[:3]
