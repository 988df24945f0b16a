"""What the engineer reads off a thermo-elastic solution: stresses per region, warpage and
curvature of the bottom surface. No Python loops over cells or dofs: numpy on arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ufl
from mpi4py import MPI

import dolfinx.fem as fem

from solver.mechanics.forms import principal, von_mises


@dataclass
class StressField:
    """Stress interpolated into DG(k-1) tensors, with von Mises and principal values at
    the same points (exact for affine cells: the stress is a polynomial of degree k-1)."""

    tensor: fem.Function  # 3x3 tensor, DG(k-1)
    von_mises: fem.Function  # scalar, DG(k-1)
    principal: fem.Function  # 3-vector, ascending, DG(k-1)


def stress_field(forms, u: fem.Function, degree: int) -> StressField:
    msh = u.function_space.mesh
    k = max(degree - 1, 0)
    T = fem.functionspace(msh, ("DG", k, (3, 3)))
    S = fem.functionspace(msh, ("DG", k))
    P = fem.functionspace(msh, ("DG", k, (3,)))
    sig = fem.Function(T, name="stress_Pa")
    sig.interpolate(fem.Expression(forms.sigma(u), T.element.interpolation_points))
    s = sig.x.array.reshape(-1, 3, 3)
    vm = fem.Function(S, name="von_mises_Pa")
    vm.x.array[:] = von_mises(s)
    pr = fem.Function(P, name="principal_stress_Pa")
    pr.x.array[:] = principal(s).ravel()
    return StressField(sig, vm, pr)


def region_stress_stats(domain, field: StressField, weight, radius: float) -> dict[str, dict[str, float]]:
    """Per region: volume-mean von Mises stress and the extremes of von Mises and principal
    stresses averaged over balls of ``radius`` around every cell (volume-weighted). A bare
    peak at a bi-material corner is singular and grows with mesh refinement; its average
    over a stated radius converges."""
    msh = domain.mesh
    comm = domain.comm
    gdim = domain.gdim
    n_owned = msh.topology.index_map(domain.tdim).size_local
    Q = fem.functionspace(msh, ("DG", 0))
    vol = fem.assemble_vector(fem.form(weight * ufl.TestFunction(Q) * ufl.dx)).array
    S, P = field.von_mises.function_space, field.principal.function_space
    vm_cell = field.von_mises.x.array[S.dofmap.list[:n_owned]].mean(axis=1)
    pr = field.principal.x.array.reshape(-1, 3)
    pr_cell = pr[P.dofmap.list[:n_owned]].mean(axis=1)  # (cells, 3)
    out: dict[str, dict[str, float]] = {}
    for name in domain.regions:
        cells = domain.cells(name)
        cells = cells[cells < n_owned]
        x = _cell_midpoints(msh, cells)[:, :gdim] if len(cells) else np.zeros((0, gdim))
        parts = comm.gather((x, vol[cells], vm_cell[cells], pr_cell[cells, 2], pr_cell[cells, 0]), root=0)
        stats = None
        if comm.rank == 0:
            X, V, VM, P3, P1 = (np.concatenate([p[i] for p in parts]) for i in range(5))
            if len(V) and V.sum() > 0:
                M = _neighbourhood(X, radius)
                MV = M @ V
                avg_vm, avg_p3, avg_p1 = ((M @ (V * f)) / MV for f in (VM, P3, P1))
                stats = {
                    "mean_von_mises": float((V * VM).sum() / V.sum()),
                    "max_von_mises": float(avg_vm.max()),
                    "max_principal": float(avg_p3.max()),
                    "min_principal": float(avg_p1.min()),
                }
        stats = comm.bcast(stats, root=0)
        if stats is not None:
            out[name] = stats
    return out


def region_mean(domain, expr, region: str, weight) -> float:
    """Volume mean of a scalar UFL expression over a region (axisymmetric weight r)."""
    dx = ufl.Measure("dx", domain=domain.mesh, subdomain_data=domain.cell_tags)
    tag = domain.regions[region]
    comm = domain.comm
    num = comm.allreduce(fem.assemble_scalar(fem.form(expr * weight * dx(tag))), op=MPI.SUM)
    den = comm.allreduce(fem.assemble_scalar(fem.form(weight * dx(tag))), op=MPI.SUM)
    return num / den


def rigid_basis(x: np.ndarray, modes: list[str], centre: np.ndarray) -> np.ndarray:
    """Rigid modes (names as in supports: tx, ty, tz, rx, ry, rz; rotations about
    ``centre``) at points x (n, gdim), as an array (n, gdim, len(modes))."""
    n, gdim = x.shape
    B = np.zeros((n, gdim, len(modes)))
    d = np.zeros((n, 3))
    d[:, :gdim] = x - centre
    for j, mode in enumerate(modes):
        axis = "xyz".index(mode[1])
        if mode[0] == "t":
            B[:, axis, j] = 1.0
        else:
            e = np.zeros(3)
            e[axis] = 1.0
            B[:, :, j] = np.cross(e, d)[:, :gdim]
    return B


def remove_rigid_motion(u: fem.Function, modes: list[str], strain: float = 0.0) -> float:
    """Subtract from ``u`` its least-squares rigid motion in ``modes`` (over the owned dofs)
    and return max |u - strain * x - rigid| (the deviation from uniform expansion).

    A free body's rigid position is set by arbitrary point supports; removing it gives a
    displacement independent of which vertices were picked (and of the rank count)."""
    V = u.function_space
    gdim = V.mesh.geometry.dim
    n = V.dofmap.index_map.size_local
    x = V.tabulate_dof_coordinates()[:, :gdim]
    comm = V.mesh.comm
    from solver.core.domain import global_box

    lo, hi = global_box(comm, x[:n])
    U = u.x.array.reshape(-1, gdim)
    if modes:
        B = rigid_basis(x, modes, 0.5 * (lo + hi))
        G = comm.allreduce(np.einsum("nim,nik->mk", B[:n], B[:n]), op=MPI.SUM)
        h = comm.allreduce(np.einsum("nim,ni->m", B[:n], U[:n] - strain * x[:n]), op=MPI.SUM)
        c = np.linalg.solve(G, h)
        U -= np.einsum("nim,m->ni", B, c)  # ghosts too: same global functions
    dev = U[:n] - strain * x[:n]
    return comm.allreduce(float(np.abs(dev).max()) if n else 0.0, op=MPI.MAX)


@dataclass
class SurfaceShape:
    """The out-of-plane displacement w of the bottom surface and what follows from it."""

    points: np.ndarray  # (n, gdim) undeformed coordinates (all ranks, unique)
    w: np.ndarray  # (n,) out-of-plane displacement
    warpage: float  # max - min of w about its best-fit plane
    curvature: float  # mean curvature, positive when the top surface is convex (dome)
    curvature_principal: tuple[float, float]
    fit_points: int


def bottom_surface(domain, u: fem.Function, formulation: str, centre: np.ndarray,
                   fit_fraction: float = 1.0, free_modes: list[str] | None = None) -> SurfaceShape | None:
    """Sample w = u[last] at the dofs of the ``bottom`` boundary and fit w = c + linear +
    quadratic terms around ``centre`` by least squares. None if the geometry names no
    ``bottom`` (a disk or a sphere has no surface whose warpage means anything).

    Curvature sign: a dome (centre up, rim down) is positive; for a bimetal with the
    more-expanding layer on top and heating, the curvature is positive. The fit uses points
    within ``fit_fraction`` of the largest in-plane distance from the centre. ``free_modes``
    are the rigid modes left free by the supports (None: all of them); only a tilt that is
    one of them is taken out of the warpage."""
    if "bottom" not in domain.boundaries:
        return None
    V = u.function_space
    gdim = domain.gdim
    fdim = domain.tdim - 1
    facets = domain.facets("bottom")
    blocks = fem.locate_dofs_topological(V, fdim, facets)
    blocks = blocks[blocks < V.dofmap.index_map.size_local]
    x = V.tabulate_dof_coordinates()[blocks, :gdim]
    w = u.x.array.reshape(-1, gdim)[blocks, gdim - 1]
    comm = domain.comm
    x_all = np.concatenate(comm.allgather(x)) if comm.size > 1 else x
    w_all = np.concatenate(comm.allgather(w)) if comm.size > 1 else w

    inplane = x_all[:, : gdim - 1] - centre[: gdim - 1]
    if formulation == "axisymmetric":
        inplane = x_all[:, :1]  # r
    dist = np.linalg.norm(inplane, axis=1)
    keep = dist <= fit_fraction * dist.max() * (1 + 1e-12) if len(dist) else dist
    p = inplane[keep]
    if formulation == "axisymmetric":
        columns = [np.ones(len(p)), p[:, 0] ** 2]
    elif gdim == 2:
        columns = [np.ones(len(p)), p[:, 0], p[:, 0] ** 2]
    else:
        columns = [np.ones(len(p)), p[:, 0], p[:, 1], p[:, 0] ** 2, p[:, 0] * p[:, 1], p[:, 1] ** 2]
    M = np.column_stack(columns)
    coef, *_ = np.linalg.lstsq(M, w_all[keep], rcond=None)
    if formulation == "axisymmetric":
        k1 = k2 = -2 * coef[1]
    elif gdim == 2:
        k1 = k2 = -2 * coef[2]
    else:
        H = np.array([[2 * coef[3], coef[4]], [coef[4], 2 * coef[5]]])
        k2, k1 = sorted(-np.linalg.eigvalsh(H))
    return SurfaceShape(x_all, w_all, warpage(inplane, w_all, formulation, gdim, free_modes),
                        0.5 * (k1 + k2), (float(k1), float(k2)), int(keep.sum()))


# The rotation that tilts w along each in-plane axis: w ~ x is a rotation about y, w ~ y one about x.
_TILT_MODE = {3: ("ry", "rx"), 2: ("rz",)}


def warpage(inplane: np.ndarray, w: np.ndarray, formulation: str, gdim: int,
            free_modes: list[str] | None = None) -> float:
    """max - min of w after removing its best-fit tilt along the axes whose rotation is free:
    a free body's tilt is set by its (arbitrary) point supports and is not warpage, but a
    symmetry plane or a clamp fixes the tilt across it, and a quarter model's tilt is real
    (removing it would hide most of a dish's warpage)."""
    if len(w) == 0:
        return 0.0
    if formulation == "axisymmetric":
        return float(w.max() - w.min())  # a revolved surface cannot tilt
    free = [k for k, mode in enumerate(_TILT_MODE[gdim]) if free_modes is None or mode in free_modes]
    M = np.column_stack([np.ones(len(w))] + [inplane[:, k] for k in free])
    coef, *_ = np.linalg.lstsq(M, w, rcond=None)
    dev = w - M @ coef
    return float(dev.max() - dev.min())


# -- interfaces ------------------------------------------------------------------------------
def _cell_midpoints(msh, cells: np.ndarray) -> np.ndarray:
    import dolfinx.mesh

    return dolfinx.mesh.compute_midpoints(msh, msh.topology.dim, cells.astype(np.int32))


def interface_tractions(domain, sigma, weight, radius: float) -> dict[str, dict[str, float]]:
    """Normal and shear traction on every tagged interface ``interface_<a>_<b>``.

    The traction uses the average of the two sides' stress, t = avg(sigma) n; normal
    t_n = n . t (positive: the interface is pulled open), shear |t - t_n n|. Facet
    integrals are gathered per adjacent cell (a patch of a few facets). Reported per
    interface: the area-weighted mean of t_n and |t_s| over the whole interface, and the
    extremes of their averages over discs of ``radius`` around every patch, never a bare
    facet value: next to a bi-material free edge the stress is singular and any peak
    would only measure the mesh. Patches are the cells on both sides, each taking half
    of every interface facet it touches."""
    msh = domain.mesh
    comm = domain.comm
    gdim = domain.gdim
    Q = fem.functionspace(msh, ("DG", 0))
    q = ufl.TestFunction(Q)
    n = ufl.FacetNormal(msh)("+")
    n3 = ufl.as_vector([n[i] for i in range(gdim)] + [0] * (3 - gdim))
    s = 0.5 * (sigma("+") + sigma("-"))
    t = ufl.dot(s, n3)
    tn = ufl.dot(t, n3)
    ts = ufl.sqrt(ufl.dot(t - tn * n3, t - tn * n3) + 1e-300)
    dS = ufl.Measure("dS", domain=msh, subdomain_data=domain.facet_tags)
    w = weight("+") if not isinstance(weight, (int, float)) else weight
    # Half of every facet to each of its two cells: which side is "+" depends on the
    # partition, and patches must not (1 and N ranks report the same averages).
    both = 0.5 * (q("+") + q("-"))
    n_owned = msh.topology.index_map(domain.tdim).size_local
    out: dict[str, dict[str, float]] = {}
    for name, tag in sorted(domain.boundaries.items()):
        if not name.startswith("interface_"):
            continue
        vectors = []
        for integrand in (w, tn * w, ts * w):
            vec = fem.assemble_vector(fem.form(integrand * both * dS(tag)))
            vec.scatter_reverse(dolfinx_la_insert_add())
            vectors.append(vec.array[:n_owned].copy())
        area, tn_int, ts_int = vectors
        cells = np.flatnonzero(area > 0).astype(np.int32)
        x = _cell_midpoints(msh, cells)[:, :gdim] if len(cells) else np.zeros((0, gdim))
        local = (x, area[cells], tn_int[cells], ts_int[cells])
        parts = comm.gather(local, root=0)
        result = None
        if comm.rank == 0:
            X = np.concatenate([p[0] for p in parts])
            A = np.concatenate([p[1] for p in parts])
            TN = np.concatenate([p[2] for p in parts])
            TS = np.concatenate([p[3] for p in parts])
            if len(A) and A.sum() > 0:
                M = _neighbourhood(X, radius)
                MA = M @ A
                avg_tn, avg_ts = (M @ TN) / MA, (M @ TS) / MA
                result = {
                    "mean_normal": float(TN.sum() / A.sum()),
                    "mean_shear": float(TS.sum() / A.sum()),
                    "max_normal": float(avg_tn.max()),
                    "min_normal": float(avg_tn.min()),
                    "max_shear": float(avg_ts.max()),
                    "patches": int(len(A)),
                }
        result = comm.bcast(result, root=0)
        if result is not None:
            out[name] = result
    return out


def _neighbourhood(X: np.ndarray, radius: float):
    """Sparse 0/1 matrix: row i marks the points within ``radius`` of point i."""
    from scipy.sparse import csr_matrix
    from scipy.spatial import cKDTree

    # the pairs as one array (no Python list per point: 4x faster on a sweep's small cases)
    n = len(X)
    pairs = cKDTree(X).query_pairs(r=radius, output_type="ndarray")
    diag = np.arange(n)
    rows = np.concatenate([diag, pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([diag, pairs[:, 1], pairs[:, 0]])
    return csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def dolfinx_la_insert_add():
    import dolfinx.la

    return dolfinx.la.InsertMode.add


# -- bumps ----------------------------------------------------------------------------------
def bump_table(domain, field: StressField, weight, sites: list[np.ndarray], regions: list[str],
               centre: np.ndarray) -> list[dict]:
    """Per bump of an array: volume-mean and largest cell-mean von Mises stress, volume-mean
    hydrostatic stress. Bump cells are given to the nearest site (in plan view) of their
    arrangement; rows ordered by arrangement and site."""
    from scipy.spatial import cKDTree

    msh = domain.mesh
    comm = domain.comm
    Q = fem.functionspace(msh, ("DG", 0))
    vol_form = fem.form(weight * ufl.TestFunction(Q) * ufl.dx)
    vol = fem.assemble_vector(vol_form).array
    n_owned = msh.topology.index_map(domain.tdim).size_local
    S = field.von_mises.function_space
    vm_cell = field.von_mises.x.array[S.dofmap.list[:n_owned]].mean(axis=1)
    T = field.tensor.function_space
    sig = field.tensor.x.array.reshape(-1, 9)
    hyd_cell = sig[T.dofmap.list[:n_owned]][:, :, [0, 4, 8]].mean(axis=(1, 2))
    rows = []
    for k, (pts, region) in enumerate(zip(sites, regions)):
        if region not in domain.regions:
            continue
        cells = domain.cells(region)
        cells = cells[cells < n_owned]
        m = len(pts)
        sums = np.zeros((m, 3))
        peak = np.full(m, -np.inf)
        if len(cells):
            xy = _cell_midpoints(msh, cells)[:, :2]
            idx = cKDTree(pts).query(xy)[1]
            v = vol[cells]
            np.add.at(sums, idx, np.column_stack([v, v * vm_cell[cells], v * hyd_cell[cells]]))
            np.maximum.at(peak, idx, vm_cell[cells])
        sums = comm.allreduce(sums, op=MPI.SUM)
        comm.Allreduce(MPI.IN_PLACE, peak, op=MPI.MAX)
        for i, p in enumerate(pts):
            if sums[i, 0] <= 0:
                continue
            rows.append({
                "arrangement": k + 1, "bump": i, "x_um": 1e6 * p[0], "y_um": 1e6 * p[1],
                "distance_from_centre_um": 1e6 * float(np.linalg.norm(p - centre[:2])),
                "mean_von_mises_MPa": sums[i, 1] / sums[i, 0] / 1e6,
                "max_cell_von_mises_MPa": peak[i] / 1e6,
                "mean_hydrostatic_MPa": sums[i, 2] / sums[i, 0] / 1e6,
            })
    return rows

