"""All PETSc in one place: assembly of a linear system, Krylov and direct solves with a
unique options prefix each, Newton by SNES, and honest convergence reports. The
elasticity solvers (rigid-body near-nullspace, one operator for many load steps) build on
these in :mod:`solver.core.elastic_solver`.

A tolerance is claimed only on the unpreconditioned residual: CG's default
(preconditioned) norm at rtol 1e-8 leaves a true relative residual near 1e-6. Every solve
ends with ||b - A x|| / ||b|| computed explicitly; a solve that misses its tolerance raises
:class:`SolveError` with the diagnostics instead of returning a wrong answer."""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass, field

import numpy as np
from petsc4py import PETSc

import dolfinx.fem as fem
import dolfinx.fem.petsc as fem_petsc

from solver.core.errors import SolveError

_prefix_counter = itertools.count()


@dataclass
class SolveReport:
    method: str
    dofs: int
    iterations: int
    residual_rel: float
    reason: str
    assemble_s: float = 0.0
    setup_s: float = 0.0
    solve_s: float = 0.0
    options: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def unique_prefix(name: str) -> str:
    return f"sprout_{name}_{next(_prefix_counter)}_"


def assemble_system(a: fem.Form, L: fem.Form, bcs: list) -> tuple[PETSc.Mat, PETSc.Vec, float]:
    """Assemble A and b with Dirichlet conditions applied symmetrically."""
    t0 = time.perf_counter()
    A = fem_petsc.assemble_matrix(a, bcs=bcs)
    A.assemble()
    return A, assemble_rhs(a, L, bcs), time.perf_counter() - t0


def assemble_rhs(a: fem.Form, L: fem.Form, bcs: list) -> PETSc.Vec:
    """b with the Dirichlet values lifted out of a and set on their rows."""
    b = fem_petsc.assemble_vector(L)
    fem_petsc.apply_lifting(b, [a], bcs=[bcs])
    b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    fem_petsc.set_bc(b, bcs)
    return b


def gamg_options(rtol: float, max_iterations: int, threshold: float | None = None) -> dict:
    """CG on the unpreconditioned residual with a smoothed-aggregation GAMG V-cycle
    (Chebyshev/Jacobi smoothing). ``threshold``: drop couplings weaker than this when
    aggregating; None leaves PETSc's default."""
    options = {"ksp_type": "cg", "ksp_norm_type": "unpreconditioned", "ksp_rtol": rtol, "ksp_atol": 0.0,
               "ksp_max_it": max_iterations, "pc_type": "gamg", "pc_gamg_type": "agg"}
    if threshold is not None:
        options["pc_gamg_threshold"] = threshold
    options.update({"pc_gamg_coarse_eq_limit": 1000, "mg_levels_ksp_type": "chebyshev",
                    "mg_levels_pc_type": "jacobi", "mg_levels_ksp_chebyshev_esteig_steps": 10})
    return options


def spd_options(method: str, rtol: float, max_iterations: int) -> dict:
    """The options of :func:`solve_spd` and of the elasticity solvers."""
    if method == "direct":
        return {
            "ksp_type": "preonly",
            "pc_type": "lu",
            "pc_factor_mat_solver_type": "mumps",
            # Tolerate tiny pivots only as MUMPS errors, never silently.
            "mat_mumps_icntl_24": 0,
        }
    # Drop weak couplings when aggregating: the Si/resin contrast (43x) and thin layers
    # otherwise make aggregates straddle materials. On the 300k-dof CSP block at P2:
    # 179 -> 127 iterations, set-up + solve 26.9 -> 26.2 s (0.02: 115 its but 15 s
    # set-up; 0.05: 79 its, 57 s set-up).
    return gamg_options(rtol, max_iterations, threshold=0.01)


def solve_spd(
    A: PETSc.Mat,
    b: PETSc.Vec,
    x: PETSc.Vec,
    *,
    method: str,
    rtol: float,
    max_iterations: int,
    name: str,
    near_nullspace: PETSc.NullSpace | None = None,
    verify_rtol: float | None = None,
) -> SolveReport:
    """Solve A x = b for a symmetric positive definite A.

    ``verify_rtol``: the true relative residual that must be reached (default: ``rtol``
    for CG; 1e-8 for the direct solver, which should reach round-off)."""
    comm = A.getComm()
    if near_nullspace is not None:
        A.setNearNullSpace(near_nullspace)
    A.setOption(PETSc.Mat.Option.SPD, True)
    prefix = unique_prefix(name)
    options = spd_options(method, rtol, max_iterations)
    opts = PETSc.Options()
    for k, v in options.items():
        opts[prefix + k] = v
    ksp = PETSc.KSP().create(comm)
    ksp.setOptionsPrefix(prefix)
    ksp.setOperators(A)
    ksp.setFromOptions()
    try:
        t0 = time.perf_counter()
        ksp.setUp()
        t1 = time.perf_counter()
        ksp.solve(b, x)
        t2 = time.perf_counter()
    except PETSc.Error as exc:
        raise SolveError(
            f"{name}: PETSc failed in the {method} solve (error {exc.ierr})",
            {"method": method, "petsc_error": int(exc.ierr)},
        ) from None
    finally:
        for k in options:
            del opts[prefix + k]
    x.ghostUpdate(addv=PETSc.InsertMode.INSERT, mode=PETSc.ScatterMode.FORWARD)

    residual = true_residual(A, x, b)
    reason = reason_name(ksp)
    iterations = ksp.getIterationNumber()
    report = SolveReport(
        method="cg+gamg" if method == "iterative" else "mumps",
        dofs=A.getSize()[0],
        iterations=iterations,
        residual_rel=float(residual),
        reason=reason,
        setup_s=t1 - t0,
        solve_s=t2 - t1,
        options={k: str(v) for k, v in options.items()},
    )
    ksp.destroy()
    require_converged(name, report, verify_rtol if verify_rtol is not None else (rtol if method == "iterative"
                                                                                  else 1e-8))
    return report


def true_residual(A: PETSc.Mat, x: PETSc.Vec, b: PETSc.Vec) -> float:
    """||b - A x|| / ||b||, the unpreconditioned residual every solve is judged by."""
    r = b.duplicate()
    A.mult(x, r)
    r.aypx(-1.0, b)
    bnorm = b.norm()
    residual = r.norm() / bnorm if bnorm > 0 else r.norm()
    r.destroy()
    return residual


def require_converged(name: str, report: SolveReport, target: float) -> None:
    """Raise SolveError unless the KSP converged and the true residual is within 10x of
    ``target``: the KSP stops on its own recurrence residual, which drifts from the
    explicitly computed one by round-off."""
    residual = report.residual_rel
    if ksp_failed(report.reason) or not np.isfinite(residual) or residual > 10 * target:
        raise SolveError(
            f"{name}: the {report.method} solve did not converge: {report.reason} after {report.iterations} "
            f"iterations, true relative residual {residual:.3e} (required {target:.1e})",
            report.as_dict(),
        )


def ksp_failed(reason: str) -> bool:
    return reason.startswith("DIVERGED")


def reason_name(solver: PETSc.KSP | PETSc.SNES) -> str:
    """The name of a KSP's or SNES's converged reason (its number if PETSc has no name
    for it)."""
    code = solver.getConvergedReason()
    reasons = type(solver).ConvergedReason
    for name in dir(reasons):
        if not name.startswith("_") and getattr(reasons, name) == code:
            return name
    return str(code)


def solve_newton(F, u: fem.Function, bcs: list, name: str, options: dict, method: str,
                 near_nullspace: PETSc.NullSpace | None = None) -> SolveReport:
    """Newton (PETSc SNES with ``options``) on the residual ``F`` in ``u``; ``method``
    labels the report. The report's residual is SNES's last residual norm and its options
    carry the summed linear iterations; a failure raises SolveError with SNES's reason."""
    prefix = unique_prefix(name)
    t0 = time.perf_counter()
    problem = fem_petsc.NonlinearProblem(F, u, bcs=bcs, petsc_options_prefix=prefix, petsc_options=options)
    if near_nullspace is not None:
        problem.A.setNearNullSpace(near_nullspace)
    snes = problem.solver
    try:
        problem.solve()
    except PETSc.Error as exc:
        raise SolveError(f"{name}: PETSc failed in the Newton solve (error {exc.ierr})",
                         {"method": method, "petsc_error": int(exc.ierr)}) from None
    elapsed = time.perf_counter() - t0
    reason, its, lin, fnorm = (snes.getConvergedReason(), snes.getIterationNumber(),
                               snes.getLinearSolveIterations(), snes.getFunctionNorm())
    dofmap = u.function_space.dofmap
    report = SolveReport(method=method, dofs=dofmap.index_map.size_global * dofmap.index_map_bs,
                         iterations=int(its), residual_rel=float(fnorm), reason=reason_name(snes),
                         solve_s=elapsed, options={k: str(v) for k, v in options.items()})
    report.options["linear_iterations"] = str(lin)
    if reason <= 0:
        raise SolveError(f"{name}: Newton did not converge: {report.reason} after {its} iterations "
                         f"({lin} linear iterations), residual norm {fnorm:.3e}", report.as_dict())
    u.x.scatter_forward()
    return report


def solve_scalar(a, L, u: fem.Function, bcs: list, name: str) -> SolveReport:
    """A small scalar problem (a transport step) by MUMPS LU; the true residual is checked
    and a failure raises SolveError."""
    prefix = unique_prefix(name)
    options = dict(_DIRECT)
    t0 = time.perf_counter()
    problem = fem_petsc.LinearProblem(a, L, bcs=bcs, u=u, petsc_options_prefix=prefix, petsc_options=options)
    try:
        problem.solve()
    except PETSc.Error as exc:
        raise SolveError(f"{name}: PETSc failed in the direct solve (error {exc.ierr})",
                         {"method": "mumps", "petsc_error": int(exc.ierr)}) from None
    u.x.scatter_forward()
    residual = true_residual(problem.A, u.x.petsc_vec, problem.b)
    report = SolveReport(method="mumps", dofs=u.function_space.dofmap.index_map.size_global, iterations=1,
                         residual_rel=float(residual), reason="CONVERGED", solve_s=time.perf_counter() - t0,
                         options=options)
    return _direct_checked(name, report)


_DIRECT = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps",
           "ksp_error_if_not_converged": True}


def _direct_checked(name: str, report: SolveReport) -> SolveReport:
    """A direct solve must leave a true relative residual of at most 1e-8."""
    residual = report.residual_rel
    if not np.isfinite(residual) or residual > 1e-8:
        raise SolveError(f"{name}: the direct solve left a true relative residual {residual:.3e} (required 1e-8)",
                         report.as_dict())
    return report


def solve_with_blocks(a: fem.Form, L: fem.Form, u: fem.Function, bcs: list, name: str,
                      blocks: tuple[np.ndarray, np.ndarray, np.ndarray]) -> SolveReport:
    """Like :func:`solve_scalar`, with element blocks integrated outside UFL added to the
    matrix: ``blocks`` = (rows (m, k), cols (m, k), values (m, k, k)) in local dof numbers
    (owned and ghost), e.g. a boundary term on surfaces that cut through cells. The blocks
    must not touch Dirichlet dofs (their rows and columns are already eliminated)."""
    prefix = unique_prefix(name)
    t0 = time.perf_counter()
    A = fem_petsc.create_matrix(a)
    fem_petsc.assemble_matrix(A, a, bcs=bcs)
    A.assemble(PETSc.Mat.AssemblyType.FLUSH)  # the diagonal of the Dirichlet rows is inserted, not added
    rows, cols, values = blocks
    if len(rows):
        A.setValuesLocalRCV(np.ascontiguousarray(rows, dtype=PETSc.IntType),
                            np.ascontiguousarray(cols, dtype=PETSc.IntType),
                            np.ascontiguousarray(values, dtype=PETSc.ScalarType), addv=PETSc.InsertMode.ADD)
    A.assemble()
    b = assemble_rhs(a, L, bcs)
    assemble_s = time.perf_counter() - t0
    ksp = PETSc.KSP().create(A.getComm())
    ksp.setOptionsPrefix(prefix)
    options = dict(_DIRECT)
    opts = PETSc.Options()
    for key, value in options.items():
        opts[prefix + key] = value
    ksp.setOperators(A)
    ksp.setFromOptions()
    for key in options:
        del opts[prefix + key]
    t1 = time.perf_counter()
    try:
        ksp.solve(b, u.x.petsc_vec)
    except PETSc.Error as exc:
        raise SolveError(f"{name}: PETSc failed in the direct solve (error {exc.ierr})",
                         {"method": "mumps", "petsc_error": int(exc.ierr)}) from None
    u.x.scatter_forward()
    residual = true_residual(A, u.x.petsc_vec, b)
    report = SolveReport(method="mumps", dofs=u.function_space.dofmap.index_map.size_global, iterations=1,
                         residual_rel=float(residual), reason="CONVERGED", assemble_s=assemble_s,
                         solve_s=time.perf_counter() - t1, options=options)
    ksp.destroy()
    A.destroy()
    b.destroy()
    return _direct_checked(name, report)


def residual_floor(terms, fraction: float) -> float:
    """``fraction`` of the norm of the assembled ``terms`` (a residual's transport part) as
    Newton's absolute tolerance: the residual's round-off floor scales with the currents,
    and below it the line search fails instead of converging."""
    vec = fem_petsc.assemble_vector(fem.form(terms))
    vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    floor = fraction * vec.norm()
    vec.destroy()
    return max(1e-14, floor)


def solve_nonlinear_scalar(F, u: fem.Function, bcs: list, name: str, rtol: float = 1e-10,
                           max_it: int = 50, atol: float = 1e-14, stol: float = 0.0,
                           linear: str = "direct") -> SolveReport:
    """Newton (PETSc SNES, backtracking line search) for a scalar problem such as a
    secondary current distribution; a failure raises SolveError with SNES's reason.

    ``linear``: ``direct`` (MUMPS) or ``iterative`` (CG + GAMG on the unpreconditioned
    residual, rtol 1e-10: for large 3D problems whose Jacobian is symmetric positive
    definite, as a secondary distribution's with monotone kinetics is)."""
    options = {"snes_type": "newtonls", "snes_linesearch_type": "bt", "snes_rtol": rtol, "snes_atol": atol,
               "snes_stol": stol, "snes_max_it": max_it}
    if linear == "iterative":
        options.update({**gamg_options(1e-10, 2000), "ksp_error_if_not_converged": True})
    elif linear == "direct":
        options.update({"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"})
    else:
        raise ValueError(f"linear must be 'direct' or 'iterative', not {linear!r}")
    method = "newton+cg+gamg" if linear == "iterative" else "newton+mumps"
    return solve_newton(F, u, bcs, name, options, method)
