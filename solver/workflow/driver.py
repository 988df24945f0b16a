"""The run driver: what ``sprout run`` does for every kind.

It validates the case, guards ``--restart``, logs, calls the kind's run entry and owns what
happens when that fails:

- invalid input (``CaseError``, or a geometric rule the mesh builder found): nothing
  written, the caller exits 2;
- a failed solve or mesh (``SolveError``, ``MeshingError``): ``OUT/summary.json`` with
  ``status: "failed"``, the reason and the solver's diagnostics, plus the resolved case;
  the error is raised again and the caller exits 1;
- anything else is a bug: its traceback goes to ``OUT/error.log`` (one per rank that hit
  it), ``OUT/summary.json`` says ``status: "error"``, and :class:`InternalError` is raised
  (exit 3). Nothing in OUT is half-written in any case: results are staged."""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from meshes import GeometryError

from solver.core.case import CaseError, case_digest, resolved_case
from solver.core.errors import MeshingError, SolveError
from solver.core.kind import RunContext
from solver.core.log import get_logger
from solver.core.outdir import check_out, claimed
from solver.core.output import Staging, atomic_write_json, atomic_write_text, summary
from solver.core.progress import announce_form_compilation
from solver.core.resolved_toml import RUN_CASE
from solver.workflow.flow import FlowFailed
from solver.workflow.registry import KINDS, kind_of, load_case

if TYPE_CHECKING:
    from mpi4py import MPI


class InternalError(Exception):
    """An unexpected exception during a run; ``log`` is where its traceback was written."""

    def __init__(self, message: str, log: Path | None):
        super().__init__(message)
        self.log = log


def execute_run(path, out, overrides, comm: MPI.Comm, log=None, restart: bool = False, case=None) -> dict:
    """Validate, solve, write; returns the summary (with ``out``). ``case``: already
    validated (a flow's step), else read from ``path`` with ``overrides``. Raises CaseError
    (nothing written), SolveError/MeshingError (a failed summary written), a flow's
    FlowFailed (its summary written) or InternalError (error.log written)."""
    log = log or get_logger(comm)
    t0 = time.perf_counter()
    case = case if case is not None else load_case(path, overrides)
    record = kind_of(case)
    out = Path("results") / case.name if out is None else out  # checked by claimed(), collectively
    if restart and not record.restart:
        able = " and ".join(f"{k.name} cases" for k in KINDS.values() if k.restart)
        raise CaseError(f"--restart: {case.kind} cases run in one go and keep no checkpoint ({able} do)")
    record.check_inputs(case, str(path))
    resolved = resolved_case(case)
    with claimed(out, comm, log=log) as out:
        if restart:
            _check_checkpoint(record, out, resolved, comm)
        ctx = RunContext(out=out, comm=comm, log=log, t0=t0, source=str(path), resolved=resolved,
                         restart=restart, run_step=execute_run)
        return _run_claimed(case, record, ctx)


def _check_checkpoint(record, out: Path, resolved: dict, comm: MPI.Comm) -> None:
    """A checkpoint ``--restart`` cannot go on from is invalid input, found before any work
    or log line (collective: rank 0 reads, every rank raises)."""
    message = None
    if comm.rank == 0:
        try:
            record.check_restart(out, case_digest(resolved))
        except CaseError as exc:
            message = str(exc)
    message = comm.bcast(message, root=0)
    if message:
        raise CaseError(message)


def _run_claimed(case, record, ctx: RunContext) -> dict:
    """The kind's run into an OUT this process holds; what a failure leaves there."""
    log, out = ctx.log, ctx.out
    size = ctx.comm.size
    log.info("case %s (%s) on %d rank%s -> %s", case.name, case.kind, size, "" if size == 1 else "s", out)
    announce_form_compilation()
    running = RUN_CASE.set((case, ctx.source))
    try:
        data = record.entry()(case, ctx)
    except (SolveError, MeshingError) as exc:
        write_failed(case, ctx, exc)
        raise
    except GeometryError as exc:  # a geometric rule only the builder could check: still the input's fault
        raise CaseError(f"{ctx.source}: {exc.field}: {exc.message}") from None
    except KeyboardInterrupt as exc:
        write_interrupted(case, ctx, exc)
        raise
    except (CaseError, FlowFailed, InternalError, OSError):
        raise  # OSError: the file system's (disk full, permissions), reported as such by the CLI
    except Exception as exc:
        raise internal_error(case, ctx, exc) from exc
    finally:
        RUN_CASE.reset(running)
    data["out"] = str(out)
    log_results(record, data, log)
    return data


def write_failed(case, ctx: RunContext, exc: Exception) -> None:
    """The failed summary and the resolved case, staged like any result (collective)."""
    diagnostics = getattr(exc, "diagnostics", {})
    staging = Staging(ctx.out, ctx.comm)
    data = summary(case.name, case.kind, "failed", ctx.comm.size, diagnostics.get("dofs", 0),
                   time.perf_counter() - ctx.t0, {}, error=str(exc), diagnostics=diagnostics,
                   source=ctx.source, files=["case.resolved.json", "summary.json"])
    if ctx.comm.rank == 0:
        atomic_write_json(staging.file("case.resolved.json"), ctx.resolved)
        atomic_write_json(staging.file("summary.json"), data)
    staging.commit()


def write_interrupted(case, ctx: RunContext, exc: BaseException) -> None:
    """A summary that says the run was interrupted (rank 0, no collective call: the other
    ranks may be anywhere, or gone). A checkpoint in OUT stays for ``--restart``."""
    if ctx.comm.rank != 0:
        return
    name = getattr(exc, "name", "SIGINT")
    files = sorted(p.name for p in ctx.out.glob("checkpoint*")) if ctx.out.is_dir() else []
    try:
        ctx.out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(ctx.out / "summary.json", summary(
            case.name, case.kind, "interrupted", ctx.comm.size, 0, time.perf_counter() - ctx.t0, {},
            error=f"interrupted by {name}", source=ctx.source, files=files + ["summary.json"],
            restart=bool(files)))
    except OSError:
        pass


def internal_error(case, ctx: RunContext, exc: Exception) -> InternalError:
    """Write what a bug report needs without waiting for other ranks (they may not have
    failed): this rank's traceback, and on rank 0 a summary that says so."""
    rank = ctx.comm.rank
    name = "error.log" if ctx.comm.size == 1 else f"error.rank{rank}.log"
    path = ctx.out / name
    text = "".join(traceback.format_exception(exc))
    try:
        ctx.out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, f"sprout internal error in case {case.name} ({case.kind}) on rank {rank}:\n{text}")
        if rank == 0:
            atomic_write_json(ctx.out / "summary.json", summary(
                case.name, case.kind, "error", ctx.comm.size, 0, time.perf_counter() - ctx.t0, {},
                error=f"internal error: {type(exc).__name__}: {exc}", error_log=name, source=ctx.source,
                files=[name, "summary.json"]))
    except OSError:
        path = None
    return InternalError(f"{type(exc).__name__}: {exc}", path)


def log_results(record, data: dict, log) -> None:
    """The kind's key results (every result with -v), and each compared closed form."""
    results, reference = data["results"], data.get("reference") or {}
    shown = record.key_results_of(data)
    for key, value in results.items():
        if key in reference:
            ref = reference[key]
            rel = abs(value - ref) / abs(ref) if ref else abs(value)
            log.info("  %-32s %.8g (closed form %.8g, %s %.2e)", key, value, ref, "rel." if ref else "abs.", rel)
        elif key in shown:
            log.info("  %-32s %.6g", key, value)
        else:
            log.debug("  %-32s %.6g", key, value)


def check(path, overrides) -> str:
    """``sprout check CASE``: the one line that says what the case is."""
    case = load_case(path, overrides)
    return kind_of(case).description(case, str(path))


def build_mesh(path, out, overrides, export: list[str], comm: MPI.Comm) -> dict | None:
    """``sprout mesh``: gmsh only (rank 0), the mesh with quality figures."""
    from solver.geometry.meshing import write_mesh_files

    case = load_case(path, overrides)
    if not kind_of(case).mesh:
        raise CaseError(f"{path}: a {case.kind} has no mesh of its own; mesh the case files of its steps")
    out = check_out(Path("results") / f"{case.name}-mesh" if out is None else out)
    if comm.rank != 0:
        return None
    with claimed(out) as out:
        info = write_mesh_files(case, out, export)
    info["name"], info["out"] = case.name, str(out)
    return info
