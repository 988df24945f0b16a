"""The ``sprout`` command (also ``python -m solver``); identical under ``mpirun -n N``.

Exit codes: 0 success; 2 invalid input (one line naming the field and the rule, no
traceback, no output directory); 1 a solve that failed (with the solver's diagnostics,
and a summary.json with status "failed")."""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

from mpi4py import MPI

from . import __version__
from .domain import MeshingError
from .linalg import SolveError
from .log import get_logger
from .schema import CaseError, json_schema, load_case, resolved_case

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sprout",
        description="Finite-element process simulation for wafer-level packaging: "
        "electroplating, isotropic etch, thermo-mechanical stress.",
    )
    p.add_argument("--version", action="version", version=f"sprout {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def with_case(sp):
        sp.add_argument("case", metavar="CASE", help="case file (TOML)")
        sp.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a case value, e.g. --set 'load.temperature=25 degC' "
                             "or --set geometry.layers[1].thickness='5 um' (repeatable)")
        return sp

    run = with_case(sub.add_parser("run", help="run a case and write OUT/summary.json and fields"))
    run.add_argument("-o", "--out", metavar="OUT", help="output directory (default: results/<case name>)")
    run.add_argument("-v", "--verbose", action="store_true")
    run.add_argument("--restart", action="store_true",
                     help="fill cases: resume from OUT/checkpoint.json (written after every growth step); "
                          "flows: reuse the steps whose inputs are unchanged and whose summary is complete")
    with_case(sub.add_parser("check", help="validate a case file without running it"))
    mesh = with_case(sub.add_parser("mesh", help="build the case's mesh: mesh.msh, mesh_quality.json, mesh.png"))
    mesh.add_argument("-o", "--out", metavar="OUT", help="output directory (default: results/<case name>-mesh)")
    mesh.add_argument("--export", action="append", default=[], metavar="FORMAT",
                      help="also write the mesh with its region names via meshio: vtu, xdmf, inp, msh, med, vtk")
    sub.add_parser("schema", help="print the JSON schema of case files")
    sw = sub.add_parser("sweep", help="run a parameter sweep: OUT/results.csv, OUT/responses.png")
    sw.add_argument("sweep", metavar="SWEEP", help="sweep file (TOML with a [sweep] table)")
    sw.add_argument("-o", "--out", metavar="OUT", required=True, help="output directory")
    sw.add_argument("--executor", choices=["local", "slurm"], default="local",
                    help="local: here, -j cases at once; slurm: one sbatch --array job (default: local)")
    sw.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="cases at once (default 1)")
    sw.add_argument("--ranks", type=int, default=1, metavar="K", help="MPI ranks per case (default 1)")
    sw.add_argument("--resume", action="store_true", help="skip the cases whose summary is complete")
    sw.add_argument("--no-submit", action="store_true",
                    help="slurm: write OUT/sweep.sbatch and stop (submit it by hand, then --resume to collect)")
    sw.add_argument("--isolated", action="store_true",
                    help="local: one process per case (default: long-lived workers for one-rank cases)")
    case = sub.add_parser("sweep-case", help="run one case of a prepared sweep (what a SLURM task runs)")
    case.add_argument("out", metavar="OUT")
    case.add_argument("index", type=int, metavar="INDEX")
    worker = sub.add_parser("sweep-worker", help="run the cases of a prepared sweep named on stdin (internal)")
    worker.add_argument("out", metavar="OUT")
    return p


def main(argv: list[str] | None = None) -> int:
    comm = MPI.COMM_WORLD
    args = build_parser().parse_args(argv)
    log = get_logger(comm, verbose=getattr(args, "verbose", False))
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
            if _is_sweep(args.case):
                from .sweep import check_cases, expand, load_sweep

                spec, base = load_sweep(args.case)
                cases = expand(spec)
                check_cases(base, spec, cases)
                if comm.rank == 0:
                    print(f"ok: sweep {spec.name} ({spec.method}): {len(cases)} valid cases of {base.name}")
                return EXIT_OK
            case = load_case(args.case, args.overrides)
            if case.kind == "flow":
                from .flow import check_flow, describe_flow

                text = describe_flow(case, check_flow(case, args.case))
            else:
                text = describe(case)
            if comm.rank == 0:
                print(text)
            return EXIT_OK
        if args.command == "mesh":
            return run_mesh(args, comm, log)
        if args.command in ("sweep", "sweep-case", "sweep-worker"):
            from .sweep_cli import run_sweep, run_sweep_case

            if args.command == "sweep-worker":
                from .executors import worker_loop

                return worker_loop(args.out)
            return run_sweep(args, log) if args.command == "sweep" else run_sweep_case(args)
        from .flow import FlowFailed

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
            print(f"sprout: invalid input: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except MeshingError as exc:
        if comm.rank == 0:
            print(f"sprout: meshing failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except SolveError as exc:
        if comm.rank == 0:
            print(f"sprout: solve failed: {exc}", file=sys.stderr)
            for k, v in exc.diagnostics.items():
                if k != "options":
                    print(f"  {k}: {v}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except TimeoutError as exc:  # an OSError too, but not the file system's
        if comm.rank == 0:
            print(f"sprout: internal error on rank {comm.rank}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # the file system, not sprout: say which file
        if comm.rank == 0:
            print(f"sprout: cannot write results: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception:  # a bug, not the user's fault: show everything
        if comm.rank == 0 or comm.size > 1:
            print(f"sprout: internal error on rank {comm.rank}:", file=sys.stderr)
            traceback.print_exc()
        return EXIT_FAILED


def _is_sweep(path) -> bool:
    import tomllib

    try:
        return "sweep" in tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False  # load_case reports the problem


def describe(case) -> str:
    geo = case.geometry
    extra = ""
    if hasattr(geo, "expected_cells"):
        extra = f"; {geo.expected_cells()} cells"
    if case.kind == "geometry":
        return (f"ok: {case.name} (geometry, {geo.type} {geo.dimension}D){extra}; regions: "
                f"{', '.join(geo.region_names())}; boundaries: {', '.join(geo.boundary_names())}")
    if case.kind == "etch":
        e = case.etch
        how = f"rate {e.rate * 6e7:.4g} um/min" if e.model == "reaction_limited" else (
            f"Da {e.etchant.rate_constant * e.etchant.stagnant_layer / e.etchant.diffusivity:.3g}")
        return (f"ok: {case.name} (etch, {e.model}, {geo.type} {geo.dimension}D, {how}, "
                f"{len(e.times)} times to {e.times[-1] / 60:.4g} min)")
    if case.kind == "seed_layer":
        return (f"ok: {case.name} (seed_layer, wafer radius {geo.radius * 1e3:.4g} mm, seed "
                f"{case.seed.thickness * 1e9:.4g} nm {case.seed.metal}, cathode {case.cathode.kinetics})")
    if case.kind == "fill":
        op = case.operation
        how = f"{op.cell_voltage:.4g} V" if op.cell_voltage is not None else f"{op.current_density:.4g} A/m^2"
        level = "tertiary" if case.electrolyte.tertiary else "secondary"
        return (f"ok: {case.name} (fill, {geo.type}, {level} {case.cathode.kinetics}, {how}, up to "
                f"{case.growth.time / 60:.4g} min in steps of at most {case.growth.max_advance * 1e6:.3g} um)")
    if case.kind == "plating":
        op = case.operation
        how = f"{op.cell_voltage:.4g} V" if op.cell_voltage is not None else f"{op.current:.4g} A"
        return (f"ok: {case.name} (plating, {geo.shape} cell, cathode {case.cathode.kinetics}, "
                f"anode {case.anode.kinetics}, {how})")
    regions = ", ".join(f"{r}={m}" for r, m in case.regions.items())
    return (f"ok: {case.name} ({case.kind}, {geo.type} {geo.dimension}D, {case.model.formulation}, "
            f"P{case.model.degree}){extra}; regions: {regions}")


def execute_run(path, out, overrides, comm, log=None, restart: bool = False, case=None) -> dict:
    """Validate, solve, write. Raises CaseError (nothing written) or SolveError (a failed
    summary written); a flow raises FlowFailed (its summary written). ``case``: already
    validated (a flow's step), else read from ``path`` with ``overrides``."""
    from .output import Staging, atomic_write_json, summary
    from .run_thermoelastic import results_of, solve_case, write_outputs

    log = log or get_logger(comm)
    t0 = time.perf_counter()
    case = case if case is not None else load_case(path, overrides)
    out = Path(out) if out else Path("results") / case.name
    if out.exists() and not out.is_dir():
        raise CaseError(f"-o {out}: exists and is not a directory")
    if case.kind == "flow":
        from .flow import run_flow

        return run_flow(case, out, comm, log, t0, str(path), restart=restart)
    log.info("case %s (%s) on %d rank%s -> %s", case.name, case.kind, comm.size, "" if comm.size == 1 else "s", out)
    if case.kind == "geometry":
        from .meshing import run_geometry

        data = run_geometry(case, out, comm, t0, str(path))
        data["out"] = str(out)
        r = data["results"]
        log.info("  %d cells, %d nodes, quality min %.3f mean %.3f, meshed in %.1f s", r["cells"], r["nodes"],
                 r["quality_min"], r["quality_mean"], r["mesh_s"])
        return data
    resolved = resolved_case(case)
    if restart and case.kind != "fill":
        raise CaseError(f"--restart: {case.kind} cases run in one go and keep no checkpoint (fill cases and "
                        "flows do)")
    if case.kind == "fill":
        from .run_fill import run_fill

        data = run_fill(case, out, comm, log, t0, str(path), resolved, restart=restart)
        data["out"] = str(out)
        for key, value in data["results"].items():
            log.info("  %-36s %.6g", key, value)
        return data
    if case.kind in ("seed_layer", "plating"):
        import importlib

        module = importlib.import_module(f".run_{case.kind}", __package__)
        data = getattr(module, f"run_{case.kind}")(case, out, comm, log, t0, str(path), resolved)
        data["out"] = str(out)
        for key, value in data["results"].items():
            log.info("  %-32s %.6g", key, value)
        return data
    if case.kind == "etch":
        from .run_etch import run_etch

        data = run_etch(case, out, comm, log, t0, str(path), resolved)
        data["out"] = str(out)
        for key in ("depth_um", "undercut_um", "etch_factor", "etched_volume_per_hole_um3", "max_shape_error_um",
                    "mass_balance_rel"):
            if key not in data["results"]:
                continue
            ref = (data.get("reference") or {}).get(key)
            log.info("  %-28s %.6g%s", key, data["results"][key], "" if ref is None else f"  (exact {ref:.6g})")
        return data
    try:
        sol = solve_case(case, comm, log)
    except SolveError as exc:
        staging = Staging(out, comm)
        data = summary(case.name, case.kind, "failed", comm.size, exc.diagnostics.get("dofs", 0),
                       time.perf_counter() - t0, {}, error=str(exc), diagnostics=exc.diagnostics,
                       source=str(path), files=["case.resolved.json", "summary.json"])
        if comm.rank == 0:
            atomic_write_json(staging.file("case.resolved.json"), resolved)
            atomic_write_json(staging.file("summary.json"), data)
        staging.commit()
        raise
    results, reference = results_of(sol)
    staging = Staging(out, comm)
    try:
        data = write_outputs(sol, staging, results, reference, t0, resolved, str(path))
        staging.commit()
    except BaseException:
        staging.discard()
        raise
    data["out"] = str(out)
    prefixes = [""] if len(data.get("steps", [])) <= 1 else [f"{s['name']}_" for s in data["steps"]]
    for prefix in prefixes:
        for key in ("warpage_um", "curvature_1_per_m", "max_von_mises_MPa"):
            if prefix + key in data["results"]:
                log.info("  %-28s %.6g", prefix + key, data["results"][prefix + key])
    for key, ref in (data.get("reference") or {}).items():
        got = data["results"][key]
        rel = abs(got - ref) / abs(ref) if ref else abs(got)
        log.info("  %-28s %.8g (closed form %.8g, %s %.2e)", key, got, ref, "rel." if ref else "abs.", rel)
    return data


def run_mesh(args, comm, log) -> int:
    """Build the mesh with gmsh only (rank 0) and write it with quality figures."""
    case = load_case(args.case, args.overrides)
    if case.kind == "flow":
        raise CaseError(f"{args.case}: a flow has no mesh of its own; mesh the case files of its steps")
    out = Path(args.out) if args.out else Path("results") / f"{case.name}-mesh"
    if comm.rank == 0:
        from .meshing import write_mesh_files

        info = write_mesh_files(case, out, args.export)
        print(f"{case.name}: {info['cells_total']} cells, {info['nodes']} nodes, quality min "
              f"{info['quality_min']:.3f} mean {info['quality_mean']:.3f}, {info['mesh_s']:.1f} s -> {out}/mesh.msh")
    return EXIT_OK
