"""The ``sprout`` command (also ``python -m solver``): arguments and exit codes only; the
run driver (``solver.workflow.driver``) does the work. Identical under ``mpirun -n N``.

Exit codes: 0 success; 2 invalid input (one line naming the field and the rule, no
traceback, no output directory); 1 a solve or mesh that failed (the solver's diagnostics,
and OUT/summary.json with status "failed"); 3 an internal error (a bug: the traceback is in
OUT/error.log, OUT/summary.json says status "error"); 4 the file system failed (disk full,
quota, permissions: the file named, results staged and discarded); 143 and 130 interrupted
by SIGTERM and SIGINT (OUT/summary.json says status "interrupted"; a checkpoint is kept for
--restart)."""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
import traceback

from solver.core import interrupt, provenance
from solver.core.case import CaseError, read_input_toml
from solver.core.comm import MissingSolver, require_solver, world
from solver.core.errors import ClusterError, MeshingError, SolveError
from solver.core.log import get_logger
from solver.core.version import __version__
from solver.workflow.driver import InternalError, build_mesh, check, execute_run
from solver.workflow.flow import FlowFailed
from solver.workflow.registry import KINDS, json_schema
from solver.workflow.sweep import MAX_CASES, check_cases, expand, load_sweep

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERNAL, EXIT_IO = 0, 1, 2, 3, 4


def build_parser() -> argparse.ArgumentParser:
    kinds = "\n".join(f"  {k.name:<14}{k.title}" for k in KINDS.values())
    p = argparse.ArgumentParser(
        prog="sprout",
        description="Finite-element process simulation for wafer-level packaging: "
        "electroplating, isotropic etch, thermo-mechanical stress.",
        epilog=f"case kinds:\n{kinds}\n\nexit codes: 0 ok, 1 a solve or mesh failed (OUT/summary.json says why), "
        "2 invalid input (nothing written), 3 internal error (traceback in OUT/error.log), 4 the file system "
        "failed (disk full), 143/130 interrupted",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"sprout {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def with_case(sp):
        sp.add_argument("case", metavar="CASE", help="case file (TOML)")
        sp.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a case value, e.g. --set 'load.temperature=25 degC' "
                             "or --set geometry.layers[1].thickness='5 um' (repeatable)")
        return sp

    def with_verbosity(sp):
        talk = sp.add_mutually_exclusive_group()
        talk.add_argument("-q", "--quiet", action="store_true",
                          help="only warnings and errors on stderr (the last line still says where OUT is)")
        talk.add_argument("-v", "--verbose", action="store_true",
                          help="also every result and each solver step's detail")
        return sp

    run = with_verbosity(with_case(sub.add_parser("run", help="run a case and write OUT/summary.json and fields")))
    run.add_argument("-o", "--out", metavar="OUT", help="output directory (default: results/<case name>)")
    able = ", ".join(k.name for k in KINDS.values() if k.restart)
    run.add_argument("--restart", action="store_true",
                     help=f"{able} cases: go on from what OUT holds (a checkpoint written after every growth "
                          "step; a flow's steps whose inputs are unchanged and whose summary is complete)")
    chk = with_case(sub.add_parser("check", help="validate a case file without running it"))
    chk.add_argument("--max-cases", type=int, default=MAX_CASES, metavar="N",
                     help=f"a sweep: refuse more than N cases (default {MAX_CASES})")
    mesh = with_verbosity(with_case(sub.add_parser("mesh", help="build the case's mesh: mesh.msh, mesh_quality.json, "
                                                                 "mesh.png")))
    mesh.add_argument("-o", "--out", metavar="OUT", help="output directory (default: results/<case name>-mesh)")
    mesh.add_argument("--export", action="append", default=[], metavar="FORMAT",
                      help="also write the mesh with its region names via meshio: vtu, xdmf, inp, msh, med, vtk")
    sub.add_parser("schema", help="print the JSON schema of case files")
    sw = with_verbosity(sub.add_parser("sweep", help="run a parameter sweep: OUT/results.csv, OUT/responses.png"))
    sw.add_argument("sweep", metavar="SWEEP", help="sweep file (TOML with a [sweep] table)")
    sw.add_argument("-o", "--out", metavar="OUT", required=True, help="output directory")
    sw.add_argument("--executor", choices=["local", "slurm"], default="local",
                    help="local: here, -j cases at once; slurm: sbatch --array jobs, -j tasks at once (default: local)")
    sw.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="cases at once (default 1)")
    sw.add_argument("--ranks", type=int, default=1, metavar="K", help="MPI ranks per case (default 1)")
    sw.add_argument("--resume", action="store_true", help="skip the cases whose summary is complete")
    sw.add_argument("--max-cases", type=int, default=MAX_CASES, metavar="N",
                    help=f"refuse a sweep of more than N cases (default {MAX_CASES}): a typo in a grid multiplies")
    sw.add_argument("--no-submit", action="store_true",
                    help="slurm: write the job scripts to OUT/slurm/ and stop (submit.sh submits them; --resume collects)")
    sw.add_argument("--isolated", action="store_true",
                    help="local: one process per case (default: long-lived workers for one-rank cases)")
    cluster = sw.add_argument_group("slurm (also a [slurm] table in the sweep file; these win)")
    cluster.add_argument("--time", metavar="LIMIT", help="time limit per case, e.g. 30, 2:00:00, 1-12:00:00")
    cluster.add_argument("--partition", metavar="NAME")
    cluster.add_argument("--account", metavar="NAME")
    cluster.add_argument("--qos", metavar="NAME")
    cluster.add_argument("--mem", metavar="SIZE", help="memory per node of a case, e.g. 4G")
    cluster.add_argument("--constraint", metavar="FEATURES", help="node features, e.g. 'skylake&ib'")
    cluster.add_argument("--sbatch", action="append", default=[], metavar="OPTION",
                         help="one more #SBATCH option, e.g. --sbatch=--mail-type=END (repeatable)")
    cluster.add_argument("--requeue", action="store_true",
                         help="let SLURM requeue a case's task after a node failure or preemption")
    st = sub.add_parser("status", help="how far a sweep is: cases ok / failed (with reasons) / running / pending")
    st.add_argument("out", metavar="OUT", help="the sweep's output directory")
    an = sub.add_parser("analyze", help="a finished sweep's response surfaces, sensitivities and optimum: "
                                        "OUT/analysis.json, OUT/tornado.png, OUT/surfaces.png")
    an.add_argument("out", metavar="OUT", help="the sweep's output directory")
    an.add_argument("--no-verify", action="store_true", help="do not run the best design as an extra case")
    case = sub.add_parser("sweep-case", help="run one case of a prepared sweep (what a SLURM task runs)")
    case.add_argument("out", metavar="OUT")
    case.add_argument("index", type=int, metavar="INDEX")
    case.add_argument("--srun-mpi", metavar="PLUGIN", help="start a multi-rank case with srun --mpi=PLUGIN")
    worker = sub.add_parser("sweep-worker", help="run the cases of a prepared sweep named on stdin (internal)")
    worker.add_argument("out", metavar="OUT")
    return p


@functools.lru_cache(maxsize=1)
def _parser() -> argparse.ArgumentParser:
    """Built once per process: a sweep worker calls main() for every case."""
    return build_parser()


def main(argv: list[str] | None = None) -> int:
    comm = world()
    interrupt.install(comm)
    for stream in (sys.stdout, sys.stderr):  # a non-UTF-8 file name is printed escaped, not a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = _parser().parse_args(argv)
    provenance.set_command(sys.argv[1:] if argv is None else argv)
    log = get_logger(comm, verbose=getattr(args, "verbose", False), quiet=getattr(args, "quiet", False))
    if args.command is None:
        if comm.rank == 0:
            build_parser().print_help()
        return EXIT_INVALID
    try:
        if args.command == "schema":
            if comm.rank == 0:
                print(json.dumps(json_schema(), indent=2))
            return EXIT_OK
        if args.command == "check":
            sweep = _is_sweep(args.case)
            if sweep and args.overrides:
                raise CaseError("--set: a sweep is checked as its file says (its cases' values are in its "
                                "[sweep] set and parameters)")
            text = _check_sweep(args.case, args.max_cases) if sweep else check(args.case, args.overrides)
            if comm.rank == 0:
                print(text)
            return EXIT_OK
        if args.command == "status":
            from solver.workflow.status import status_text

            if comm.rank == 0:
                print(status_text(args.out))
            return EXIT_OK
        if args.command == "analyze":
            from solver.workflow.analyze import analysis_text, analyze_sweep
            from solver.workflow.sweep_run import responses_of

            result = None
            if comm.rank == 0:
                result = analyze_sweep(args.out, log, verify=False if args.no_verify else None,
                                       responses=responses_of(args.out))
            if result is not None:
                print(analysis_text(result))
            return EXIT_OK
        require_solver(args.command)
        if args.command == "mesh":
            info = build_mesh(args.case, args.out, args.overrides, args.export, comm)
            if info is not None:
                print(f"{info['name']}: {info['cells_total']} cells, {info['nodes']} nodes, quality min "
                      f"{info['quality_min']:.3f} mean {info['quality_mean']:.3f}, {info['mesh_s']:.1f} s -> "
                      f"{info['out']}/mesh.msh")
            return EXIT_OK
        if args.command == "sweep":
            from solver.workflow.sweep_run import run_sweep

            return run_sweep(args, log)
        if args.command == "sweep-case":
            from solver.workflow.sweep_run import run_sweep_case

            return run_sweep_case(args, main)
        if args.command == "sweep-worker":
            from solver.workflow.executors import worker_loop

            return worker_loop(args.out, main)
        try:
            data = execute_run(args.case, args.out, args.overrides, comm, log, restart=args.restart)
        except FlowFailed as exc:
            if comm.rank == 0:
                print(f"sprout: flow stopped at {exc}; see {exc.data['out']}/summary.json", file=sys.stderr)
            return EXIT_FAILED
        if comm.rank == 0:
            print(f"{data['case']}: {data['status']} in {data['wall_s']:.2f} s -> {data['out']}/summary.json")
        return EXIT_OK
    except CaseError as exc:
        if comm.rank == 0:
            print(f"sprout: invalid input: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_INVALID
    except MissingSolver as exc:
        print(f"sprout: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except MeshingError as exc:
        if comm.rank == 0:
            print(f"sprout: meshing failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ClusterError as exc:
        print(f"sprout: slurm: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    except SolveError as exc:
        if comm.rank == 0:
            print(f"sprout: solve failed: {exc}", file=sys.stderr)
            for k, v in exc.diagnostics.items():
                if k != "options":
                    print(f"  {k}: {v}", file=sys.stderr)
        return EXIT_FAILED
    except InternalError as exc:
        where = f"; traceback in {exc.log}" if exc.log else ""
        print(f"sprout: internal error on rank {comm.rank}: {exc}{where}", file=sys.stderr)
        if comm.size > 1:
            comm.Abort(EXIT_INTERNAL)  # the other ranks may wait in a collective for ever
        return EXIT_INTERNAL
    except KeyboardInterrupt as exc:
        name = getattr(exc, "name", "SIGINT")
        code = getattr(exc, "exit_code", 130)
        if comm.rank == 0:
            print(f"sprout: interrupted by {name}", file=sys.stderr)
        if comm.size > 1 and not _all_interrupted(comm):
            comm.Abort(code)  # a rank the signal missed would wait in a collective for ever
        return code
    except TimeoutError as exc:  # an OSError too, but not the file system's
        if comm.rank == 0:
            print(f"sprout: internal error on rank {comm.rank}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # the file system, not sprout (disk full, quota, permissions): say which file
        if comm.rank == 0:
            print(f"sprout: the file system failed: {one_line(str(exc))}; nothing was left half-written",
                  file=sys.stderr)
        return EXIT_IO
    except Exception:  # a bug outside a run (no OUT to put the traceback in)
        if comm.rank == 0 or comm.size > 1:
            print(f"sprout: internal error on rank {comm.rank}:", file=sys.stderr)
            traceback.print_exc()
        return EXIT_INTERNAL


def one_line(message: str, limit: int = 600) -> str:
    """A message as one line a terminal shows whole: a value echoed from the input (a 10 MB
    string) is cut, the length said."""
    text = " ".join(message.split())
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters, cut)"


def _all_interrupted(comm, seconds: float = 5.0) -> bool:
    """Whether every rank was interrupted too (a batch system signals them all): then each
    ends normally; a rank that stays blocked in a collective is what MPI_Abort is for."""
    request = comm.Ibarrier()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if request.Test():
            return True
        time.sleep(0.01)
    return False


def _is_sweep(path) -> bool:
    try:
        return "sweep" in read_input_toml(path)
    except CaseError:
        return False  # load_case reports the problem


def _check_sweep(path, max_cases: int) -> str:
    spec, base = load_sweep(path)
    cases = expand(spec, max_cases)
    check_cases(base, spec, cases)
    return f"ok: sweep {spec.name} ({spec.method}): {len(cases)} valid cases of {base.name}"
