"""Supports that add no stress: symmetry planes, clamps, and minimal point supports.

A body cooled from its stress-free state is loaded only by itself; any support beyond the
statically determinate minimum adds constraint stress that is not in the part. So the
rigid-body modes left after symmetry planes and clamps are removed by exactly as many
point constraints as there are modes, chosen so that the constraint matrix restricted to
those modes is invertible (3-2-1 in 3D, 2-1 in 2D, one axial point in axisymmetry).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mpi4py import MPI

import dolfinx.fem as fem
import dolfinx.mesh

from solver.core.domain import global_box

AXES = "xyz"


@dataclass
class PointSupport:
    point: tuple[float, ...]
    component: int

    def describe(self) -> str:
        p = ", ".join(f"{c * 1e3:.6g}" for c in self.point)
        return f"u_{AXES[self.component]}=0 at ({p}) mm"


def rigid_modes(formulation: str) -> list[str]:
    """Zero-energy modes of an unsupported body: t<axis> translation, r<axis> rotation."""
    return {
        "3d": ["tx", "ty", "tz", "rx", "ry", "rz"],
        "plane_stress": ["tx", "ty", "rz"],
        "plane_strain": ["tx", "ty", "rz"],
        # u_r = 0 on the axis is kinematic, so only the axial translation is free.
        "axisymmetric": ["ty"],
    }[formulation]


def remaining_modes(formulation: str, symmetry_axes: list[int], clamped: bool) -> list[str]:
    """Rigid modes not yet removed: a symmetry plane with normal e_k removes the
    translation along k and the rotations about the other axes."""
    if clamped:
        return []
    left = []
    for mode in rigid_modes(formulation):
        axis = AXES.index(mode[1])
        if mode[0] == "t" and axis in symmetry_axes:
            continue
        if mode[0] == "r" and any(k != axis for k in symmetry_axes):
            continue
        left.append(mode)
    return left


def mode_value(mode: str, point: np.ndarray, centre: np.ndarray, gdim: int) -> np.ndarray:
    """Displacement of a unit rigid mode at ``point`` (gdim components)."""
    v = np.zeros(3)
    axis = AXES.index(mode[1])
    if mode[0] == "t":
        v[axis] = 1.0
    else:
        d = np.zeros(3)
        d[:gdim] = point - centre
        e = np.zeros(3)
        e[axis] = 1.0
        v = np.cross(e, d)
    return v[:gdim]


def symmetry_axis(domain, boundary: str) -> tuple[int, float]:
    """The axis normal to a planar boundary and the plane's coordinate on it; raise
    ValueError if the boundary is not a plane normal to x, y or z."""
    msh = domain.mesh
    fdim = domain.tdim - 1
    facets = domain.facets(boundary)
    msh.topology.create_connectivity(fdim, 0)
    verts = dolfinx.mesh.compute_incident_entities(msh.topology, facets, fdim, 0)
    x = vertex_coordinates(msh, verts)
    lo, hi = domain.extent()
    size = float(np.max(hi - lo))
    lo_b, hi_b = global_box(domain.comm, x)
    flat = [k for k in range(domain.gdim) if hi_b[k] - lo_b[k] <= 1e-9 * size]
    if len(flat) != 1:
        raise ValueError(f"symmetry boundary {boundary!r} is not a plane normal to x, y or z")
    return flat[0], float(lo_b[flat[0]])


def vertex_coordinates(msh, vertices: np.ndarray) -> np.ndarray:
    gdim = msh.geometry.dim
    if len(vertices) == 0:
        return np.zeros((0, gdim))
    msh.topology.create_connectivity(0, msh.topology.dim)
    nodes = dolfinx.mesh.entities_to_geometry(msh, 0, np.asarray(vertices, dtype=np.int32))
    return msh.geometry.x[nodes.ravel(), :gdim]


def build_supports(V, domain, formulation: str, symmetry: list[str], clamped: list[str]):
    """Dirichlet conditions for the supports; returns (bcs, description dict)."""
    msh = domain.mesh
    fdim = domain.tdim - 1
    gdim = domain.gdim
    bcs = []
    info: dict = {"symmetry": {}, "symmetry_planes": [], "clamped": list(clamped), "points": []}
    zero = np.float64(0.0)

    for name in clamped:
        dofs = fem.locate_dofs_topological(V, fdim, domain.facets(name))
        bcs.append(fem.dirichletbc(np.zeros(gdim), dofs, V))

    axes = []
    for name in symmetry:
        k, coordinate = symmetry_axis(domain, name)
        if formulation == "axisymmetric" and k == 0:
            raise ValueError(f"symmetry boundary {name!r} is normal to r: not a symmetry of an axisymmetric body")
        axes.append(k)
        info["symmetry"][name] = f"u_{AXES[k]}=0"
        info["symmetry_planes"].append((k, coordinate))
        dofs = fem.locate_dofs_topological(V.sub(k), fdim, domain.facets(name))
        bcs.append(fem.dirichletbc(zero, dofs, V.sub(k)))

    lo, hi = domain.extent()
    size = float(np.max(hi - lo))
    if formulation == "axisymmetric":
        # u_r = 0 on the axis: the hoop strain u_r / r would otherwise be unbounded.
        axis_facets = dolfinx.mesh.locate_entities_boundary(msh, fdim, lambda x: np.abs(x[0]) <= 1e-9 * size)
        if domain.comm.allreduce(len(axis_facets), op=MPI.SUM) > 0:
            dofs = fem.locate_dofs_topological(V.sub(0), fdim, axis_facets)
            bcs.append(fem.dirichletbc(zero, dofs, V.sub(0)))
            info["axis"] = "u_r=0 on r=0"

    modes = remaining_modes(formulation, axes, bool(clamped))
    info["rigid_modes_removed_by_points"] = modes
    if modes:
        target = symmetric_centre(lo, hi, info["symmetry_planes"])
        target[-1] = lo[-1]  # on the bottom face
        for support in choose_point_supports(msh, modes, target, size):
            verts = dolfinx.mesh.locate_entities(
                msh, 0, lambda x, p=support.point: np.all(
                    np.abs(x[:gdim] - np.asarray(p)[:, None]) <= 1e-12 * size, axis=0)
            )
            dofs = fem.locate_dofs_topological(V.sub(support.component), 0, verts)
            bcs.append(fem.dirichletbc(zero, dofs, V.sub(support.component)))
            info["points"].append(support.describe())
    return bcs, info


def symmetric_centre(lo: np.ndarray, hi: np.ndarray, planes: list[tuple[int, float]]) -> np.ndarray:
    """The middle of the bounding box, moved onto the symmetry planes ((axis, coordinate)
    pairs): the centre of the full body that a half or quarter model represents."""
    c = 0.5 * (lo + hi)
    for k, coordinate in planes:
        c[k] = coordinate
    return c


def choose_point_supports(msh, modes: list[str], target: np.ndarray, size: float) -> list[PointSupport]:
    """Greedy choice of (vertex, component) constraints whose matrix on ``modes`` is
    invertible: A = vertex nearest the target, B = farthest from A, C = farthest from AB."""
    gdim = msh.geometry.dim
    comm = msh.comm
    n_owned = msh.topology.index_map(0).size_local
    x = vertex_coordinates(msh, np.arange(n_owned, dtype=np.int32))

    def global_best(score: np.ndarray) -> np.ndarray:
        # Ties (symmetric bodies) are broken by the coordinates, never by the rank, so
        # that 1 and N ranks pick the same vertex and give the same rigid position.
        if len(score):
            order = np.lexsort([x[:, k] for k in reversed(range(gdim))] + [score])
            i = int(order[-1])
            cand = (float(score[i]), tuple(float(c) for c in x[i]))
        else:
            cand = (-np.inf, ())
        best = max(comm.allgather(cand))
        return np.asarray(best[1])

    a = global_best(-np.linalg.norm(x - target, axis=1))
    b = global_best(np.linalg.norm(x - a, axis=1))
    points = [a, b]
    if gdim == 3:
        ab = (b - a) / max(np.linalg.norm(b - a), 1e-300)
        d = x - a
        points.append(global_best(np.linalg.norm(d - np.outer(d @ ab, ab), axis=1)))

    chosen: list[PointSupport] = []
    rows: list[np.ndarray] = []
    for p in points:
        for comp in range(gdim):
            row = np.array([mode_value(m, p, a, gdim)[comp] for m in modes])
            trial = np.array(rows + [row])
            if np.linalg.matrix_rank(trial, tol=1e-9 * size) > len(rows):
                rows.append(row)
                chosen.append(PointSupport(tuple(float(c) for c in p), comp))
            if len(rows) == len(modes):
                return chosen
    raise ValueError(f"could not place point supports for rigid modes {modes} (degenerate body?)")
