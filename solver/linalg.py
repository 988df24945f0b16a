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
    b = fem_petsc.assemble_vector(L)
    fem_petsc.apply_lifting(b, [a], bcs=[bcs])
    b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    fem_petsc.set_bc(b, bcs)
    return A, b, time.perf_counter() - t0


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

    r = b.duplicate()
    A.mult(x, r)
    r.aypx(-1.0, b)
    bnorm = b.norm()
    residual = r.norm() / bnorm if bnorm > 0 else r.norm()
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
    r.destroy()
    target = verify_rtol if verify_rtol is not None else (rtol if method == "iterative" else 1e-8)
    # 10x headroom: the KSP stops on its own recurrence residual, which drifts from the
    # explicitly computed one by round-off.
    if ksp_failed(reason) or not np.isfinite(residual) or residual > 10 * target:
        raise SolveError(
            f"{name}: the {report.method} solve did not converge: {reason} after {iterations} iterations, "
            f"true relative residual {residual:.3e} (required {target:.1e})",
            report.as_dict(),
        )
    return report


def ksp_failed(reason: str) -> bool:
    return reason.startswith("DIVERGED")


def _reason_name(code: int) -> str:
    for name in dir(PETSc.KSP.ConvergedReason):
        if not name.startswith("_") and getattr(PETSc.KSP.ConvergedReason, name) == code:
            return name
    return str(code)
