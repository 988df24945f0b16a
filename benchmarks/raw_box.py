"""Raw-dolfinx reference: 3D linear elasticity on a box, CG + GAMG with the rigid-body
near-nullspace, written directly against dolfinx/petsc4py (no sprout code), so that sprout
cases can state their cost as a ratio to what the stack itself achieves at equal DOFs and
ranks. Run under mpirun; prints one JSON line (rank 0).

    mpirun -n 2 python benchmarks/raw_box.py --dofs 1000000 --degree 1
"""

from __future__ import annotations

import argparse
import json
import resource
import time

try:
    import dolfinx_solver  # noqa: F401  (PyPI wheel: load its MPI first)
except ImportError:
    pass

import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

from dolfinx import fem, la, mesh
from dolfinx.fem.petsc import apply_lifting, assemble_matrix, assemble_vector


def nullspace(V):
    bs = V.dofmap.index_map_bs
    n = V.dofmap.index_map.size_local
    basis = [la.vector(V.dofmap.index_map, bs=bs, dtype=PETSc.ScalarType) for _ in range(6)]
    b = [v.array.reshape(-1, 3) for v in basis]
    x = V.tabulate_dof_coordinates()
    for i in range(3):
        b[i][:, i] = 1.0
    b[3][:, 0], b[3][:, 1] = -x[:, 1], x[:, 0]
    b[4][:, 0], b[4][:, 2] = x[:, 2], -x[:, 0]
    b[5][:, 2], b[5][:, 1] = x[:, 1], -x[:, 2]
    la.orthonormalize(basis)
    return PETSc.NullSpace().create(vectors=[PETSc.Vec().createWithArray(v.array[: bs * n], bsize=bs,
                                                                          comm=V.mesh.comm) for v in basis])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dofs", type=int, default=1_000_000)
    p.add_argument("--degree", type=int, default=1)
    p.add_argument("--rtol", type=float, default=1e-10)
    args = p.parse_args()
    comm = MPI.COMM_WORLD
    k = args.degree
    # 3 (k n + 1)^3 dofs on an n^3 box of tetrahedra.
    n = max(2, round(((args.dofs / 3) ** (1 / 3) - 1) / k))
    t0 = time.perf_counter()
    msh = mesh.create_box(comm, [[0, 0, 0], [1, 1, 1]], [n, n, n], mesh.CellType.tetrahedron)
    V = fem.functionspace(msh, ("Lagrange", k, (3,)))
    E, nu = 100e9, 0.3
    mu, lmbda = E / (2 * (1 + nu)), E * nu / ((1 + nu) * (1 - 2 * nu))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)

    def eps(w):
        return ufl.sym(ufl.grad(w))

    sig = 2 * mu * eps(u) + lmbda * ufl.tr(eps(u)) * ufl.Identity(3)
    a = fem.form(ufl.inner(sig, eps(v)) * ufl.dx)
    L = fem.form(ufl.inner(fem.Constant(msh, (0.0, 0.0, -1e6)), v) * ufl.dx)
    facets = mesh.locate_entities_boundary(msh, 2, lambda x: np.isclose(x[2], 0.0))
    bc = fem.dirichletbc(np.zeros(3), fem.locate_dofs_topological(V, 2, facets), V)
    t1 = time.perf_counter()

    A = assemble_matrix(a, bcs=[bc])
    A.assemble()
    b = assemble_vector(L)
    apply_lifting(b, [a], bcs=[[bc]])
    b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    bc.set(b.array_w)
    t2 = time.perf_counter()

    A.setNearNullSpace(nullspace(V))
    A.setOption(PETSc.Mat.Option.SPD, True)
    ksp = PETSc.KSP().create(comm)
    ksp.setOptionsPrefix("rawbox_")
    opts = PETSc.Options()
    for key, val in {
        "ksp_type": "cg", "ksp_norm_type": "unpreconditioned", "ksp_rtol": args.rtol, "ksp_max_it": 5000,
        "pc_type": "gamg", "pc_gamg_coarse_eq_limit": 1000, "mg_levels_ksp_type": "chebyshev",
        "mg_levels_pc_type": "jacobi", "mg_levels_ksp_chebyshev_esteig_steps": 10,
    }.items():
        opts["rawbox_" + key] = val
    ksp.setOperators(A)
    ksp.setFromOptions()
    x = b.duplicate()
    ksp.setUp()
    t3 = time.perf_counter()
    ksp.solve(b, x)
    t4 = time.perf_counter()
    dofs = V.dofmap.index_map.size_global * 3
    peak = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, op=MPI.MAX)
    out = {
        "name": "raw_dolfinx_box", "ranks": comm.size, "degree": k, "dofs": dofs, "cells_per_side": n,
        "iterations": ksp.getIterationNumber(), "converged_reason": int(ksp.getConvergedReason()),
        "setup_forms_s": round(t1 - t0, 4), "assemble_s": round(t2 - t1, 4), "pc_setup_s": round(t3 - t2, 4),
        "solve_s": round(t4 - t3, 4), "total_solve_s": round(t4 - t1, 4),
        "peak_memory_per_rank_MB": round(peak, 1),
    }
    if comm.rank == 0:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
