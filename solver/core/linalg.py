"""All PETSc in one place: assembly of a linear system, Krylov and direct solves with a
unique options prefix each, and honest convergence reports.

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
import dolfinx.la as la

_prefix_counter = itertools.count()


class SolveError(RuntimeError):
    """A solve did not converge; ``diagnostics`` says how far it got."""

    def __init__(self, message: str, diagnostics: dict):
        super().__init__(message)
        self.diagnostics = diagnostics


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


def rigid_body_modes(V: fem.FunctionSpace, formulation: str) -> PETSc.NullSpace:
    """Near-nullspace for GAMG: translations and (2D/3D) rotations at the dof coordinates.

    Axisymmetric models keep only the two in-plane translations: a rotation of the r-z
    half-plane is not a low-energy mode of the revolved body."""
    gdim = V.mesh.geometry.dim
    bs = V.dofmap.index_map_bs
    n_local = V.dofmap.index_map.size_local
    x = V.tabulate_dof_coordinates()[:, :gdim]
    if gdim == 3:
        n_modes = 6
    else:
        n_modes = 2 if formulation == "axisymmetric" else 3
    basis = [la.vector(V.dofmap.index_map, bs=bs, dtype=PETSc.ScalarType) for _ in range(n_modes)]
    arrays = [b.array.reshape(-1, bs) for b in basis]
    for i in range(gdim):
        arrays[i][:, i] = 1.0
    if gdim == 3:
        arrays[3][:, 0], arrays[3][:, 1] = -x[:, 1], x[:, 0]
        arrays[4][:, 0], arrays[4][:, 2] = x[:, 2], -x[:, 0]
        arrays[5][:, 2], arrays[5][:, 1] = x[:, 1], -x[:, 2]
    elif n_modes == 3:
        arrays[2][:, 0], arrays[2][:, 1] = -x[:, 1], x[:, 0]
    la.orthonormalize(basis)
    vecs = [PETSc.Vec().createWithArray(b.array[: bs * n_local], bsize=bs, comm=V.mesh.comm) for b in basis]
    return PETSc.NullSpace().create(vectors=vecs)


def assemble_system(a: fem.Form, L: fem.Form, bcs: list) -> tuple[PETSc.Mat, PETSc.Vec, float]:
    """Assemble A and b with Dirichlet conditions applied symmetrically."""
    t0 = time.perf_counter()
    A = fem_petsc.assemble_matrix(a, bcs=bcs)
    A.assemble()
    return A, _assemble_rhs(a, L, bcs), time.perf_counter() - t0


def _assemble_rhs(a: fem.Form, L: fem.Form, bcs: list) -> PETSc.Vec:
    """b with the Dirichlet values lifted out of a and set on their rows."""
    b = fem_petsc.assemble_vector(L)
    fem_petsc.apply_lifting(b, [a], bcs=[bcs])
    b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    fem_petsc.set_bc(b, bcs)
    return b


def elasticity_options(method: str, rtol: float, max_iterations: int) -> dict:
    if method == "direct":
        return {
            "ksp_type": "preonly",
            "pc_type": "lu",
            "pc_factor_mat_solver_type": "mumps",
            # Tolerate tiny pivots only as MUMPS errors, never silently.
            "mat_mumps_icntl_24": 0,
        }
    return {
        "ksp_type": "cg",
        "ksp_norm_type": "unpreconditioned",
        "ksp_rtol": rtol,
        "ksp_atol": 0.0,
        "ksp_max_it": max_iterations,
        "pc_type": "gamg",
        "pc_gamg_type": "agg",
        # Drop weak couplings when aggregating: the Si/resin contrast (43x) and thin layers
        # otherwise make aggregates straddle materials. On the 300k-dof CSP block at P2:
        # 179 -> 127 iterations, set-up + solve 26.9 -> 26.2 s (0.02: 115 its but 15 s
        # set-up; 0.05: 79 its, 57 s set-up).
        "pc_gamg_threshold": 0.01,
        "pc_gamg_coarse_eq_limit": 1000,
        "mg_levels_ksp_type": "chebyshev",
        "mg_levels_pc_type": "jacobi",
        "mg_levels_ksp_chebyshev_esteig_steps": 10,
    }


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
    options = elasticity_options(method, rtol, max_iterations)
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
    reason = _reason_name(ksp.getConvergedReason())
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


def _reason_name(code: int) -> str:
    for name in dir(PETSc.KSP.ConvergedReason):
        if not name.startswith("_") and getattr(PETSc.KSP.ConvergedReason, name) == code:
            return name
    return str(code)


class ElasticSolver:
    """Repeated solves with one operator: the matrix is assembled (and the preconditioner
    set up) only when the stiffness changed, every load step assembles only its
    right-hand side. The tolerance is claimed on the unpreconditioned residual."""

    def __init__(self, a: fem.Form, bcs: list, V: fem.FunctionSpace, formulation: str, method: str, rtol: float,
                 max_iterations: int, name: str):
        self.a, self.bcs, self.V, self.formulation = a, bcs, V, formulation
        self.method, self.rtol, self.max_iterations, self.name = method, rtol, max_iterations, name
        # p-multigrid for P2: CG, one Chebyshev/Jacobi sweep on P2, one GAMG V-cycle on the
        # P1 operator P^T A P (P the P1 -> P2 interpolation) with the P1 rigid-body modes.
        # GAMG straight on P2 aggregates the quadratic dofs poorly: on the 951k-dof CSP
        # block, 119 -> 82 CG iterations and set-up + solve 73.5 -> 19.9 s (2 ranks).
        self.p_multigrid = method == "iterative" and V.element.basix_element.degree == 2
        self.nullspace = rigid_body_modes(V, formulation) if method == "iterative" and not self.p_multigrid \
            else None
        if self.p_multigrid:
            V1 = fem.functionspace(V.mesh, ("Lagrange", 1, (V.mesh.geometry.dim,)))
            self.P = fem_petsc.interpolation_matrix(V1, V)
            self.P.assemble()
            self.nullspace1 = rigid_body_modes(V1, formulation)
        self.A1: PETSc.Mat | None = None  # the P1 operator (p-multigrid)
        self._clear_after_setup: list[str] = []
        self.A: PETSc.Mat | None = None
        self.ksp: PETSc.KSP | None = None
        self.prefix = unique_prefix(name)
        self.assemble_s = 0.0
        self.setup_s = 0.0
        self.assemblies = 0

    def update_operator(self) -> None:
        t0 = time.perf_counter()
        self.assemblies += 1
        if self.A is None:
            self.A = fem_petsc.assemble_matrix(self.a, bcs=self.bcs)
        else:
            self.A.zeroEntries()
            fem_petsc.assemble_matrix(self.A, self.a, bcs=self.bcs)
        self.A.assemble()
        if self.nullspace is not None:
            self.A.setNearNullSpace(self.nullspace)
        self.A.setOption(PETSc.Mat.Option.SPD, True)
        self.assemble_s += time.perf_counter() - t0
        if self.ksp is None:
            self._create_ksp()
        if self.p_multigrid:
            if self.A1 is not None:
                self.A1.destroy()
            self.A1 = self.A.PtAP(self.P)
            self.A1.setNearNullSpace(self.nullspace1)
            self.A1.setOption(PETSc.Mat.Option.SPD, True)
            self.ksp.getPC().getMGCoarseSolve().setOperators(self.A1)
        self.ksp.setOperators(self.A)
        t1 = time.perf_counter()
        try:
            self.ksp.setUp()
        except PETSc.Error as exc:
            raise SolveError(f"{self.name}: preconditioner set-up failed (PETSc error {exc.ierr})",
                             {"method": self.method, "petsc_error": int(exc.ierr)}) from None
        self.setup_s += time.perf_counter() - t1
        opts = PETSc.Options()
        for k in self._clear_after_setup:
            del opts[k]
        self._clear_after_setup = []

    def _create_ksp(self) -> None:
        options = elasticity_options(self.method, self.rtol, self.max_iterations)
        if self.p_multigrid:
            gamg = options
            options = {k: v for k, v in gamg.items() if not k.startswith(("pc_", "mg_"))}
            options.update({"pc_type": "mg", "pc_mg_galerkin": "none", "mg_levels_ksp_type": "chebyshev",
                            "mg_levels_pc_type": "jacobi", "mg_levels_ksp_chebyshev_esteig_steps": 10,
                            "mg_levels_ksp_max_it": 1, "mg_coarse_ksp_type": "preonly"})
            options.update({"mg_coarse_" + k: v for k, v in gamg.items() if k.startswith(("pc_", "mg_"))})
        opts = PETSc.Options()
        for k, v in options.items():
            opts[self.prefix + k] = v
        self.ksp = PETSc.KSP().create(self.A.getComm())
        self.ksp.setOptionsPrefix(self.prefix)
        if self.p_multigrid:
            pc = self.ksp.getPC()
            pc.setType("mg")
            pc.setMGLevels(2)
            pc.setMGInterpolation(1, self.P)
        self.ksp.setFromOptions()
        # multigrid levels read their options at set-up, so they are cleared after it
        self._clear_after_setup = [self.prefix + k for k in options]
        self.options = options

    def solve(self, L: fem.Form, x: PETSc.Vec) -> SolveReport:
        t0 = time.perf_counter()
        b = fem_petsc.assemble_vector(L)
        fem_petsc.apply_lifting(b, [self.a], bcs=[self.bcs])
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        fem_petsc.set_bc(b, self.bcs)
        t_rhs = time.perf_counter() - t0
        t1 = time.perf_counter()
        try:
            self.ksp.solve(b, x)
        except PETSc.Error as exc:
            raise SolveError(f"{self.name}: PETSc failed in the {self.method} solve (error {exc.ierr})",
                             {"method": self.method, "petsc_error": int(exc.ierr)}) from None
        t_solve = time.perf_counter() - t1
        x.ghostUpdate(addv=PETSc.InsertMode.INSERT, mode=PETSc.ScatterMode.FORWARD)
        residual = true_residual(self.A, x, b)
        b.destroy()
        reason = _reason_name(self.ksp.getConvergedReason())
        report = SolveReport(
            method=("cg+pmg(p2/p1-gamg)" if self.p_multigrid else "cg+gamg") if self.method == "iterative"
            else "mumps",
            dofs=self.A.getSize()[0], iterations=self.ksp.getIterationNumber(), residual_rel=float(residual),
            reason=reason, assemble_s=self.assemble_s + t_rhs, setup_s=self.setup_s, solve_s=t_solve,
            options={k: str(v) for k, v in self.options.items()},
        )
        report.options["operator_assemblies"] = str(self.assemblies)
        require_converged(self.name, report, self.rtol if self.method == "iterative" else 1e-8)
        return report

    def destroy(self) -> None:
        for obj in (self.ksp, self.A, self.A1, getattr(self, "P", None)):
            if obj is not None:
                obj.destroy()


def solve_nonlinear(residual, u: fem.Function, bcs: list, formulation: str, *, method: str, rtol: float,
                    max_iterations: int, name: str, newton_rtol: float = 1e-10,
                    newton_max_it: int = 30) -> SolveReport:
    """Newton (PETSc SNES, backtracking line search) on a residual in ``u``, linear solves
    by CG + GAMG (rigid-body near-nullspace) or MUMPS. Convergence is on the residual norm
    relative to the first; a failure raises SolveError with the SNES and KSP diagnostics."""
    prefix = unique_prefix(name)
    options = dict(elasticity_options(method, min(rtol, 1e-8), max_iterations))
    # Critical-point line search: on the cooling wafer, backtracking cut the steps to 0.1
    # for ten iterations (83 Newton iterations for 7 increments); cp took 35, same answer.
    options.update({
        "snes_type": "newtonls", "snes_linesearch_type": "cp", "snes_rtol": newton_rtol, "snes_atol": 1e-30,
        "snes_stol": 0.0, "snes_max_it": newton_max_it,
    })
    if method == "iterative":
        options["ksp_rtol"] = 1e-9  # inexact Newton: tighter than needed for the outer tolerance
    t0 = time.perf_counter()
    problem = fem_petsc.NonlinearProblem(residual, u, bcs=bcs, petsc_options_prefix=prefix,
                                         petsc_options=options)
    if method == "iterative":
        problem.A.setNearNullSpace(rigid_body_modes(u.function_space, formulation))
    snes = problem.solver
    try:
        problem.solve()
    except PETSc.Error as exc:
        raise SolveError(f"{name}: PETSc failed in the Newton solve (error {exc.ierr})",
                         {"method": method, "petsc_error": int(exc.ierr)}) from None
    elapsed = time.perf_counter() - t0
    reason = snes.getConvergedReason()
    its = snes.getIterationNumber()
    lin = snes.getLinearSolveIterations()
    fnorm = snes.getFunctionNorm()
    report = SolveReport(method=("newton+" + ("cg+gamg" if method == "iterative" else "mumps")),
                         dofs=u.function_space.dofmap.index_map.size_global * u.function_space.dofmap.index_map_bs,
                         iterations=int(its), residual_rel=float(fnorm), reason=_snes_reason(reason),
                         solve_s=elapsed, options={k: str(v) for k, v in options.items()})
    report.options["linear_iterations"] = str(lin)
    if reason <= 0:
        raise SolveError(f"{name}: Newton did not converge: {_snes_reason(reason)} after {its} iterations "
                         f"({lin} linear iterations), residual norm {fnorm:.3e}", report.as_dict())
    return report


def _snes_reason(code: int) -> str:
    for name in dir(PETSc.SNES.ConvergedReason):
        if not name.startswith("_") and getattr(PETSc.SNES.ConvergedReason, name) == code:
            return name
    return str(code)


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
    b = _assemble_rhs(a, L, bcs)
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
    prefix = unique_prefix(name)
    options = {"snes_type": "newtonls", "snes_linesearch_type": "bt", "snes_rtol": rtol, "snes_atol": atol,
               "snes_stol": stol, "snes_max_it": max_it}
    if linear == "iterative":
        options.update({"ksp_type": "cg", "ksp_norm_type": "unpreconditioned", "ksp_rtol": 1e-10, "ksp_atol": 0.0,
                        "ksp_max_it": 2000, "pc_type": "gamg", "pc_gamg_type": "agg",
                        "pc_gamg_coarse_eq_limit": 1000, "mg_levels_ksp_type": "chebyshev",
                        "mg_levels_pc_type": "jacobi", "mg_levels_ksp_chebyshev_esteig_steps": 10,
                        "ksp_error_if_not_converged": True})
    elif linear == "direct":
        options.update({"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"})
    else:
        raise ValueError(f"linear must be 'direct' or 'iterative', not {linear!r}")
    method = "newton+cg+gamg" if linear == "iterative" else "newton+mumps"
    t0 = time.perf_counter()
    problem = fem_petsc.NonlinearProblem(F, u, bcs=bcs, petsc_options_prefix=prefix, petsc_options=options)
    try:
        problem.solve()
    except PETSc.Error as exc:
        raise SolveError(f"{name}: PETSc failed in the Newton solve (error {exc.ierr})",
                         {"method": method, "petsc_error": int(exc.ierr)}) from None
    snes = problem.solver
    reason, its, fnorm = snes.getConvergedReason(), snes.getIterationNumber(), snes.getFunctionNorm()
    report = SolveReport(method=method, dofs=u.function_space.dofmap.index_map.size_global,
                         iterations=int(its), residual_rel=float(fnorm), reason=_snes_reason(reason),
                         solve_s=time.perf_counter() - t0, options={k: str(v) for k, v in options.items()})
    report.options["linear_iterations"] = str(snes.getLinearSolveIterations())
    if reason <= 0:
        raise SolveError(f"{name}: Newton did not converge: {_snes_reason(reason)} after {its} iterations, "
                         f"residual norm {fnorm:.3e}", report.as_dict())
    u.x.scatter_forward()
    return report
