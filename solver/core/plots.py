"""Pictures (matplotlib, headless). Data are gathered to rank 0, which draws."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import dolfinx.fem as fem  # noqa: E402


def gather_p1(u: fem.Function, cell_values: np.ndarray | None = None):
    """Vertex coordinates, vertex values of ``u`` and cell connectivity, on rank 0, in
    global numbering. ``cell_values``: one value per local cell, gathered alongside."""
    msh = u.function_space.mesh
    gdim = msh.geometry.dim
    shape = u.function_space.value_shape
    V1 = fem.functionspace(msh, ("Lagrange", 1, shape))
    u1 = fem.Function(V1)
    u1.interpolate(u)
    imap = V1.dofmap.index_map
    n_owned = imap.size_local
    bs = V1.dofmap.index_map_bs
    x = V1.tabulate_dof_coordinates()[:n_owned, :gdim]
    vals = u1.x.array.reshape(-1, bs)[:n_owned]
    gidx = imap.local_to_global(np.arange(imap.size_local + imap.num_ghosts, dtype=np.int32))
    n_cells = msh.topology.index_map(msh.topology.dim).size_local
    cells = gidx[V1.dofmap.list[:n_cells]]
    comm = msh.comm
    parts = comm.gather((gidx[:n_owned], x, vals, cells, None if cell_values is None else cell_values[:n_cells]))
    if comm.rank != 0:
        return None
    n = imap.size_global
    X = np.zeros((n, gdim))
    U = np.zeros((n, bs))
    for g, xx, vv, _, _ in parts:
        X[g], U[g] = xx, vv
    C = np.concatenate([p[3] for p in parts])
    CV = None if cell_values is None else np.concatenate([p[4] for p in parts])
    return X, U, C, CV


def save(fig, path: Path) -> bool:
    """Write a figure atomically and close it."""
    fig.tight_layout()
    tmp = Path(path).with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return True
