"""Reaction-limited isotropic etch: the arrival distance of the front at every mesh vertex.

With a uniform normal etch rate v the front at time t is the set of substrate points whose
shortest path *inside the substrate* to the exposed opening is v t long (Huygens; the mask
blocks everything else). The distance is computed once; the front at any time is one level
set of it, and the etch time of a point is its distance over v.

Method: label-correcting propagation with source tracking. Every vertex carries its best
source, either a simplex of the opening (a segment in 2D, a triangle in 3D; the distance to
it is computed exactly) or a point source at a boundary vertex with its own distance (where
a path bends around the substrate's boundary: a non-planar start). A vertex offers its
source, and if it lies on the boundary itself as a new point source, to its neighbours;
relaxation repeats on the vertices that improved until none does. Where the nearest
opening point is seen in a straight line (every planar opening, however many holes), the
result is the exact Euclidean distance to the opening's facets at the vertices, not a
graph or fast-marching approximation with its corner lag.

Distributed: each rank relaxes its local vertices, then shared vertices take the smaller
value across ranks (ghosts to owner, owner to ghosts), until no rank improves any.
Axisymmetric models use the (r, z) plane: the nearest point of a revolved opening lies in
the meridian plane of the point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mpi4py import MPI

NO_SOURCE = -2
POINT_SOURCE = -1


# -- exact distances ----------------------------------------------------------------------------
def distance_to_segments(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|p - closest point of segment ab|, row-wise (n, d)."""
    ab = b - a
    t = np.einsum("nd,nd->n", p - a, ab) / np.maximum(np.einsum("nd,nd->n", ab, ab), 1e-300)
    t = np.clip(t, 0.0, 1.0)
    return np.linalg.norm(p - (a + t[:, None] * ab), axis=1)


def distance_to_triangles(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """|p - closest point of triangle abc|, row-wise (n, 3)."""
    return closest_on_triangles(p, a, b, c)[0]


def closest_on_triangles(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray):
    """Row-wise distance from p (n, 3) to triangles abc and the barycentric coordinates
    (n, 3) of the closest point: the projection where it falls inside, else the closest
    point of the nearest edge. Shared edges and corners give the same point from either
    triangle, so a field linear on each triangle and continuous across them is read there
    without depending on which triangle was found first."""
    ab, ac = b - a, c - a
    ap = p - a
    d00, d01, d11 = (np.einsum("nd,nd->n", ab, ab), np.einsum("nd,nd->n", ab, ac),
                     np.einsum("nd,nd->n", ac, ac))
    d20, d21 = np.einsum("nd,nd->n", ap, ab), np.einsum("nd,nd->n", ap, ac)
    den = np.maximum(d00 * d11 - d01 * d01, 1e-300)
    v = (d11 * d20 - d01 * d21) / den
    w = (d00 * d21 - d01 * d20) / den
    bary = np.column_stack([1 - v - w, v, w])
    inside = (v >= 0) & (w >= 0) & (v + w <= 1)
    best = np.where(inside, np.linalg.norm(p - np.einsum("nk,knd->nd", bary, np.stack([a, b, c])), axis=1), np.inf)
    for i, j in ((0, 1), (1, 2), (2, 0)):
        x0, x1 = (a, b, c)[i], (a, b, c)[j]
        e = x1 - x0
        t = np.clip(np.einsum("nd,nd->n", p - x0, e) / np.maximum(np.einsum("nd,nd->n", e, e), 1e-300), 0.0, 1.0)
        d = np.linalg.norm(p - (x0 + t[:, None] * e), axis=1)
        take = d < best
        best = np.where(take, d, best)
        on_edge = np.zeros((take.sum(), 3))
        on_edge[:, i], on_edge[:, j] = 1 - t[take], t[take]
        bary[take] = on_edge
    return best, bary


def distance_to_simplices(p: np.ndarray, simplices: np.ndarray) -> np.ndarray:
    """Row-wise distance from p (n, d) to simplices (n, d, d): segments in 2D, triangles in 3D."""
    if simplices.shape[1] == 2:
        return distance_to_segments(p, simplices[:, 0], simplices[:, 1])
    return distance_to_triangles(p, simplices[:, 0], simplices[:, 1], simplices[:, 2])


def simplex_neighbours(simplices: np.ndarray) -> np.ndarray:
    """For each simplex, the simplices sharing a vertex with it (itself included), padded
    with -1: (m, K). Vertices are matched by coordinates, so mirrored copies of an opening
    join the original across the symmetry plane."""
    m, k, d = simplices.shape
    if m == 0:
        return np.zeros((0, 1), dtype=np.int64)
    pts = simplices.reshape(-1, d)
    scale = max(float(np.abs(pts).max()), 1e-30)
    _, vid = np.unique(np.round(pts / (1e-9 * scale)).astype(np.int64), axis=0, return_inverse=True)
    vid = vid.reshape(m, k)
    from scipy.sparse import csr_matrix

    incidence = csr_matrix((np.ones(m * k), (np.repeat(np.arange(m), k), vid.ravel())), shape=(m, vid.max() + 1))
    shared = (incidence @ incidence.T).tocsr()  # nonzero where two simplices share a vertex
    counts = np.diff(shared.indptr)
    out = np.full((m, int(counts.max())), -1, dtype=np.int64)
    rows = np.repeat(np.arange(m), counts)
    cols = np.arange(len(shared.indices)) - np.repeat(shared.indptr[:-1], counts)
    out[rows, cols] = shared.indices
    return out


def _nearest_among(x: np.ndarray, opening: np.ndarray, adjacency: np.ndarray, s: np.ndarray):
    """The simplex nearest to each x among s and its neighbours, and its distance."""
    cand = adjacency[s]  # (n, K)
    valid = cand >= 0
    rows = np.repeat(np.arange(len(s)), valid.sum(axis=1))
    dist = np.full(cand.shape, np.inf)
    dist[valid] = distance_to_simplices(x[rows], opening[cand[valid]])
    j = dist.argmin(axis=1)
    return cand[np.arange(len(s)), j], dist[np.arange(len(s)), j]


def polish(x: np.ndarray, T: np.ndarray, kind: np.ndarray, opening: np.ndarray, adjacency: np.ndarray,
           max_steps: int = 200) -> np.ndarray:
    """Walk every opening-sourced vertex over the opening's simplices to the nearest one
    (greedy descent; exact for a planar opening). Returns the improved vertices."""
    changed = []
    idx = np.flatnonzero(kind >= 0)
    for _ in range(max_steps):
        if len(idx) == 0:
            break
        s, d = _nearest_among(x[idx], opening, adjacency, kind[idx])
        better = d < T[idx]
        if not better.any():
            break
        idx, s, d = idx[better], s[better], d[better]
        T[idx], kind[idx] = d, s
        changed.append(idx)
    return np.unique(np.concatenate(changed)) if changed else np.zeros(0, dtype=np.int64)


# -- propagation ------------------------------------------------------------------------------------
@dataclass
class Graph:
    """Vertices of the substrate cells on this rank (owned first, then ghosts) and their edges."""

    x: np.ndarray  # (n, d) coordinates
    edges: np.ndarray  # (E, 2) local indices, both directions
    n_owned: int
    boundary: np.ndarray  # (n,) bool: on the substrate's boundary (may become a point source)
    exchange: "GhostExchange | None" = None
    adjacency: np.ndarray | None = None  # simplex_neighbours(opening), set by arrival_distance
    cell_dofs: np.ndarray | None = None  # (cells, k) vertex indices of every local cell


@dataclass
class Front:
    distance: np.ndarray  # (n,) arrival distance; inf where not reached within the limit
    rounds: int  # relaxation rounds (global)
    updates: int  # vertex improvements over all ranks


def arrival_distance(graph: Graph, opening: np.ndarray, seeds: dict[int, tuple[int, float]], limit: float,
                     comm: MPI.Comm) -> Front:
    """Distance inside the substrate from the opening simplices ``opening`` (m, d, d),
    replicated on every rank, to every vertex. ``seeds`` maps local vertices to (simplex,
    exact distance to it): the vertices on the opening (distance 0) and any others whose
    source is known (the mirrored openings behind a symmetry plane). Propagation stops
    beyond ``limit`` (a vertex further away keeps inf): the etch never reaches it."""
    n, d = graph.x.shape
    graph.adjacency = simplex_neighbours(opening)
    T = np.full(n, np.inf)
    kind = np.full(n, NO_SOURCE, dtype=np.int64)  # >= 0: opening simplex; -1: point source
    src = np.zeros((n, d))  # point source position
    src_T = np.zeros(n)  # distance at the point source
    active = np.zeros(n, dtype=bool)
    if seeds:
        v = np.fromiter(seeds.keys(), dtype=np.int64, count=len(seeds))
        kind[v] = [s[0] for s in seeds.values()]
        T[v] = [s[1] for s in seeds.values()]
        active[v] = True
    order = np.argsort(graph.edges[:, 0], kind="stable")
    edges = graph.edges[order]
    starts = np.searchsorted(edges[:, 0], np.arange(n + 1))
    scale = max(limit, 1e-30)
    rounds = updates = 0
    while True:
        while True:
            if not active.any():
                # the propagated sources, walked to the nearest simplex; improvements spread again
                improved = polish(graph.x, T, kind, opening, graph.adjacency)
                if len(improved) == 0:
                    break
                active[improved] = True
                updates += len(improved)
            idx = np.flatnonzero(active)
            active[:] = False
            counts = starts[idx + 1] - starts[idx]
            e = edges[np.repeat(starts[idx], counts) + _ranges(counts)]
            i, j = e[:, 0], e[:, 1]
            cand, c_kind, c_src, c_T = _candidates(graph, opening, T, kind, src, src_T, i, j)
            ok = (cand < T[j] - 1e-12 * scale) & (cand <= limit)
            if not ok.any():
                continue
            j, cand, c_kind, c_src, c_T = j[ok], cand[ok], c_kind[ok], c_src[ok], c_T[ok]
            best = np.lexsort((cand, j))  # per target vertex, its smallest candidate first
            first = np.ones(len(best), dtype=bool)
            first[1:] = j[best][1:] != j[best][:-1]
            b = best[first]
            jb = j[b]
            T[jb], kind[jb], src[jb], src_T[jb] = cand[b], c_kind[b], c_src[b], c_T[b]
            active[jb] = True
            updates += len(jb)
        rounds += 1
        if graph.exchange is None:
            break
        active[graph.exchange.merge(T, kind, src, src_T)] = True
        if not comm.allreduce(bool(active.any()), op=MPI.LOR):
            break
    return Front(T, rounds, comm.allreduce(updates, op=MPI.SUM))


def _ranges(counts: np.ndarray) -> np.ndarray:
    """concatenate(arange(c) for c in counts), vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total) - offsets


def _candidates(graph, opening, T, kind, src, src_T, i, j):
    """What vertex i offers vertex j: its own source (inherited), and, if i is on the
    boundary, i itself as a point source. Returns the better of the two per edge."""
    xj = graph.x[j]
    ki = kind[i]
    inherit = np.full(len(i), np.inf)
    on_opening = ki >= 0
    c_kind = ki.copy()
    if on_opening.any():
        # the inherited simplex; polish() then walks each vertex to its nearest one
        inherit[on_opening] = distance_to_simplices(xj[on_opening], opening[ki[on_opening]])
    pt = ki == POINT_SOURCE
    if pt.any():
        inherit[pt] = src_T[i[pt]] + np.linalg.norm(xj[pt] - src[i[pt]], axis=1)
    c_src = src[i].copy()
    c_T = src_T[i].copy()
    via = np.where(graph.boundary[i], T[i] + np.linalg.norm(xj - graph.x[i], axis=1), np.inf)
    use = via < inherit
    cand = np.where(use, via, inherit)
    c_kind[use] = POINT_SOURCE
    c_src[use] = graph.x[i[use]]
    c_T[use] = T[i[use]]
    return cand, c_kind, c_src, c_T


class GhostExchange:
    """Shared vertices take the smallest distance (with its source) over the ranks that
    hold them: ghosts send to the owner, the owner sends the result back to every ghost."""

    def __init__(self, comm: MPI.Comm, n_owned: int, ghost_global: np.ndarray, ghost_owner: np.ndarray,
                 owned_start: int):
        self.comm = comm
        size = comm.size
        self.send_order = np.argsort(ghost_owner, kind="stable")  # ghost positions sorted by owner
        self.send_counts = np.bincount(ghost_owner, minlength=size).astype(np.int64)
        self.recv_counts = np.empty(size, dtype=np.int64)
        comm.Alltoall(self.send_counts, self.recv_counts)
        sent = np.ascontiguousarray(ghost_global[self.send_order], dtype=np.int64)
        got = np.empty(int(self.recv_counts.sum()), dtype=np.int64)
        comm.Alltoallv([sent, self.send_counts], [got, self.recv_counts])
        self.owned_targets = got - owned_start  # local owned index of each received ghost copy
        self.n_owned = n_owned

    def merge(self, T, kind, src, src_T) -> np.ndarray:
        """Exchange and return the local vertices whose value changed."""
        if self.comm.size == 1:
            return np.zeros(0, dtype=np.int64)
        ghosts = self.n_owned + self.send_order
        pack = self._pack(T, kind, src, src_T, ghosts)
        width = pack.shape[1]
        got = np.empty((int(self.recv_counts.sum()), width))
        self.comm.Alltoallv([pack, self.send_counts * width], [got, self.recv_counts * width])
        changed = []
        if len(got):
            tgt = self.owned_targets
            better = np.isfinite(got[:, 0]) & ~(got[:, 0] >= T[tgt] * (1 - 1e-15))
            if better.any():
                # several ranks may send the same vertex: apply in decreasing order, the smallest last
                sel = np.flatnonzero(better)
                sel = sel[np.argsort(-got[sel, 0], kind="stable")]
                self._unpack(got[sel], tgt[sel], T, kind, src, src_T)
                changed.append(np.unique(tgt[sel]))
        # owners answer every copy they received with their (possibly new) value
        back = self._pack(T, kind, src, src_T, self.owned_targets)
        mine = np.empty((len(ghosts), width))
        self.comm.Alltoallv([back, self.recv_counts * width], [mine, self.send_counts * width])
        improved = np.isfinite(mine[:, 0]) & ~(mine[:, 0] >= T[ghosts] * (1 - 1e-15))
        if improved.any():
            self._unpack(mine[improved], ghosts[improved], T, kind, src, src_T)
            changed.append(ghosts[improved])
        return np.concatenate(changed) if changed else np.zeros(0, dtype=np.int64)

    @staticmethod
    def _pack(T, kind, src, src_T, idx):
        return np.ascontiguousarray(np.column_stack([T[idx], kind[idx].astype(float), src[idx], src_T[idx]]))

    @staticmethod
    def _unpack(rows, idx, T, kind, src, src_T):
        T[idx] = rows[:, 0]
        kind[idx] = rows[:, 1].astype(np.int64)
        src[idx] = rows[:, 2:-1]
        src_T[idx] = rows[:, -1]
