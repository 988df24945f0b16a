"""Elasticity solves on the conventions of :mod:`solver.core.linalg`: one operator for
many load steps (CG + GAMG with the rigid-body near-nullspace, p-multigrid at P2, or
MUMPS) and Newton for large deflections."""

from __future__ import annotations

import time

from mpi4py import MPI
from petsc4py import PETSc

import dolfinx.fem as fem
import dolfinx.fem.petsc as fem_petsc
import dolfinx.la as la

from solver.core.errors import SolveError
from solver.core.linalg import (
    SolveReport,
    assemble_rhs,
    reason_name,
    require_converged,
    solve_newton,
    spd_options,
    true_residual,
    unique_prefix,
)


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


def assemble_operator(A: PETSc.Mat | None, a: fem.Form, bcs: list) -> PETSc.Mat:
    """``a`` assembled with its Dirichlet rows into ``A`` (created on the first call)."""
    if A is None:
        A = fem_petsc.assemble_matrix(a, bcs=bcs)
    else:
        A.zeroEntries()
        fem_petsc.assemble_matrix(A, a, bcs=bcs)
    A.assemble()
    return A


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
        self.A = assemble_operator(self.A, self.a, self.bcs)
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
        options = spd_options(self.method, self.rtol, self.max_iterations)
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
        b = assemble_rhs(self.a, L, self.bcs)
        t_rhs = time.perf_counter() - t0
        report = self.solve_rhs(b, x, t_rhs)
        b.destroy()
        return report

    def solve_rhs(self, b: PETSc.Vec, x: PETSc.Vec, t_rhs: float = 0.0, forcing: float = 0.0) -> SolveReport:
        """Solve with an assembled right-hand side (a Newton residual); ``b`` is kept.
        ``forcing``: an inexact Newton's relative tolerance for this solve, if looser than
        ``rtol`` (iterative method only)."""
        target = max(self.rtol, forcing) if self.method == "iterative" else 1e-8
        if self.method == "iterative":
            self.ksp.setTolerances(rtol=target)
        t1 = time.perf_counter()
        try:
            self.ksp.solve(b, x)
        except PETSc.Error as exc:
            raise SolveError(f"{self.name}: PETSc failed in the {self.method} solve (error {exc.ierr})",
                             {"method": self.method, "petsc_error": int(exc.ierr)}) from None
        t_solve = time.perf_counter() - t1
        x.ghostUpdate(addv=PETSc.InsertMode.INSERT, mode=PETSc.ScatterMode.FORWARD)
        residual = true_residual(self.A, x, b)
        reason = reason_name(self.ksp)
        report = SolveReport(
            method=("cg+pmg(p2/p1-gamg)" if self.p_multigrid else "cg+gamg") if self.method == "iterative"
            else "mumps",
            dofs=self.A.getSize()[0], iterations=self.ksp.getIterationNumber(), residual_rel=float(residual),
            reason=reason, assemble_s=self.assemble_s + t_rhs, setup_s=self.setup_s, solve_s=t_solve,
            options={k: str(v) for k, v in self.options.items()},
        )
        report.options["operator_assemblies"] = str(self.assemblies)
        require_converged(self.name, report, target)
        return report

    def destroy(self) -> None:
        for obj in (self.ksp, self.A, self.A1, getattr(self, "P", None)):
            if obj is not None:
                obj.destroy()


def solve_nonlinear(residual, u: fem.Function, bcs: list, formulation: str, *, method: str, rtol: float,
                    max_iterations: int, name: str, newton_rtol: float = 1e-10,
                    newton_max_it: int = 30) -> SolveReport:
    """Newton (PETSc SNES, critical-point line search) on a residual in ``u``, linear solves
    by CG + GAMG (rigid-body near-nullspace) or MUMPS. Convergence is on the residual norm
    relative to the first; a failure raises SolveError with the SNES and KSP diagnostics."""
    options = spd_options(method, min(rtol, 1e-8), max_iterations)
    # Critical-point line search: on the cooling wafer, backtracking cut the steps to 0.1
    # for ten iterations (83 Newton iterations for 7 increments); cp took 35, same answer.
    options.update({
        "snes_type": "newtonls", "snes_linesearch_type": "cp", "snes_rtol": newton_rtol, "snes_atol": 1e-30,
        "snes_stol": 0.0, "snes_max_it": newton_max_it,
    })
    if method == "iterative":
        options["ksp_rtol"] = 1e-9  # inexact Newton: tighter than needed for the outer tolerance
    nullspace = rigid_body_modes(u.function_space, formulation) if method == "iterative" else None
    return solve_newton(residual, u, bcs, name, options,
                        "newton+" + ("cg+gamg" if method == "iterative" else "mumps"), nullspace)


class TangentSolver:
    """Newton's linear solves with a lagged factorization: CG on the current tangent,
    preconditioned by the MUMPS LU of an earlier one. Factoring is most of a direct solve's
    cost (4.5 of 4.6 s per Newton iteration on the 72k-dof CSP quarter); the tangent moves
    little between iterations and steps, so CG preconditioned by the old factors converges
    in a few iterations. The tangent is factored again when the last CG solve took longer
    than the last factorization (on a small 2D mesh that is every time), needed more than
    ``refactor_above`` iterations, or stalled. The solve is accepted on the unpreconditioned
    residual of the current tangent."""

    def __init__(self, a: fem.Form, bcs: list, name: str, rtol: float = 1e-10, refactor_above: int = 25,
                 accept: float = 1e-8):
        # CG aims at rtol; a solve is accepted within 10 x ``accept`` on the true residual,
        # the direct solver's own standard: a thin wafer's tangent (condition ~1e8) leaves
        # ~1e-8 even after a fresh LU, and Newton's own iteration absorbs it
        self.a, self.bcs, self.name, self.rtol, self.accept = a, bcs, name, rtol, accept
        self.refactor_above = refactor_above
        self.A: PETSc.Mat | None = None
        self.P: PETSc.Mat | None = None
        self.ksp: PETSc.KSP | None = None
        self.prefix = unique_prefix(name)
        self.factorizations = 0
        self.factor_s = 0.0
        self.stale = True
        self.assemble_s = self.setup_s = 0.0

    def update_operator(self) -> None:
        t0 = time.perf_counter()
        self.A = assemble_operator(self.A, self.a, self.bcs)
        self.assemble_s += time.perf_counter() - t0
        if self.ksp is None:
            opts = PETSc.Options()
            for k, v in {"ksp_type": "cg", "ksp_rtol": self.rtol, "ksp_atol": 0.0, "ksp_max_it": 200,
                         "ksp_norm_type": "unpreconditioned", "pc_type": "lu",
                         "pc_factor_mat_solver_type": "mumps", "mat_mumps_icntl_24": 0}.items():
                opts[self.prefix + k] = v
            self.ksp = PETSc.KSP().create(self.A.getComm())
            self.ksp.setOptionsPrefix(self.prefix)
            self.ksp.setFromOptions()
        if self.stale:
            self._factor()
        else:
            self.ksp.setOperators(self.A, self.P)

    def _factor(self) -> None:
        t0 = time.perf_counter()
        if self.P is not None:
            self.P.destroy()
        self.P = self.A.copy()
        self.ksp.setOperators(self.A, self.P)
        self.ksp.getPC().setReusePreconditioner(False)
        try:
            self.ksp.setUp()
        except PETSc.Error as exc:
            raise SolveError(f"{self.name}: the LU factorization failed (PETSc error {exc.ierr})",
                             {"method": "mumps", "petsc_error": int(exc.ierr)}) from None
        self.ksp.getPC().setReusePreconditioner(True)
        self.factorizations += 1
        self.stale = False
        self.factor_s = time.perf_counter() - t0
        self.setup_s += self.factor_s

    def solve_rhs(self, b: PETSc.Vec, x: PETSc.Vec, t_rhs: float = 0.0, forcing: float = 0.0) -> SolveReport:
        """``forcing``: an inexact Newton's relative tolerance for this solve (the solve is
        accepted within 10x of it or of ``accept``, whichever is larger); 0: ``rtol``."""
        t1 = time.perf_counter()
        iterations = 0
        target = max(self.accept, forcing)
        self.ksp.setTolerances(rtol=max(self.rtol, 0.1 * forcing))
        for attempt in range(2):
            try:
                self.ksp.solve(b, x)
            except PETSc.Error as exc:
                raise SolveError(f"{self.name}: PETSc failed in the solve (error {exc.ierr})",
                                 {"method": "cg+lagged-lu", "petsc_error": int(exc.ierr)}) from None
            iterations += self.ksp.getIterationNumber()
            residual = true_residual(self.A, x, b)
            slow = self.ksp.getIterationNumber() > self.refactor_above or \
                time.perf_counter() - t1 > self.factor_s
            # every rank must take the same branch (a factorization is collective): clocks differ
            slow = self.A.getComm().tompi4py().allreduce(slow, op=MPI.LOR)
            if residual <= 10 * target and not reason_name(self.ksp).startswith("DIVERGED"):
                if slow:  # accepted, but the next solve gets fresh factors
                    self.stale = True
                break
            if attempt == 0:  # the old factors are too far off: factor this tangent and solve again
                self._factor()
        x.ghostUpdate(addv=PETSc.InsertMode.INSERT, mode=PETSc.ScatterMode.FORWARD)
        report = SolveReport(method="cg+lagged-lu(mumps)", dofs=self.A.getSize()[0], iterations=iterations,
                             residual_rel=float(residual), reason=reason_name(self.ksp),
                             assemble_s=self.assemble_s + t_rhs, setup_s=self.setup_s,
                             solve_s=time.perf_counter() - t1, options={"factorizations": str(self.factorizations)})
        require_converged(self.name, report, target)
        return report

    def destroy(self) -> None:
        for obj in (self.ksp, self.A, self.P):
            if obj is not None:
                obj.destroy()
