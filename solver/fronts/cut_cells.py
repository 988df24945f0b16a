"""What the engineer reads off an arrival-distance field: the etched volume and the front.

The distance is linear in each cell (P1 on the vertices), so the etched part of a cell,
{distance <= level}, is the cell cut by a plane: a convex piece whose measure is exact
(no quadrature of a discontinuous indicator). Axisymmetric models weight by 2 pi r.
"""

from __future__ import annotations

import numpy as np

_EDGES = {3: [(0, 1), (1, 2), (0, 2)], 4: [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]}


def _tet_volume(a, b, c, d):
    return np.abs(np.einsum("nd,nd->n", b - a, np.cross(c - a, d - a))) / 6.0


def _tri_measure(a, b, c, axisymmetric: bool):
    u, v = b - a, c - a
    area = 0.5 * np.abs(u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0])
    if axisymmetric:  # Pappus: 2 pi * centroid radius * area
        return 2 * np.pi * area * (a[:, 0] + b[:, 0] + c[:, 0]) / 3.0
    return area


def _cut(xa, xb, fa, fb, level):
    """Where the linear field crosses ``level`` on the segment a-b."""
    t = (level - fa) / np.where(fb != fa, fb - fa, 1.0)
    return xa + np.clip(t, 0.0, 1.0)[:, None] * (xb - xa)


def etched_measure(X: np.ndarray, f: np.ndarray, level: float, axisymmetric: bool = False) -> float:
    """Sum over cells of the measure of {f <= level}. X: (c, k, d) vertex coordinates of
    triangles (k = 3) or tetrahedra (k = 4); f: (c, k) vertex values (inf: never etched)."""
    return float(etched_parts(X, f, level, axisymmetric).sum())


def etched_parts(X: np.ndarray, f: np.ndarray, level: float, axisymmetric: bool = False) -> np.ndarray:
    """The measure of {f <= level} in each cell, (c,)."""
    out = np.zeros(len(X))
    if len(X) == 0:
        return out
    order = np.argsort(f, axis=1)  # vertices from the first etched to the last
    f = np.take_along_axis(f, order, axis=1)
    X = np.take_along_axis(X, order[:, :, None], axis=1)
    below = (f <= level).sum(axis=1)
    k = X.shape[1]
    if k == 3:
        def full(s):
            return _tri_measure(X[s, 0], X[s, 1], X[s, 2], axisymmetric)

        s = below == 3
        out[s] = full(s)
        s = below == 1  # the corner at vertex 0
        a, fa = X[s, 0], f[s, 0]
        out[s] = _tri_measure(a, _cut(a, X[s, 1], fa, f[s, 1], level), _cut(a, X[s, 2], fa, f[s, 2], level),
                              axisymmetric)
        s = below == 2  # all but the corner at vertex 2
        c, fc = X[s, 2], f[s, 2]
        out[s] = full(s) - _tri_measure(c, _cut(c, X[s, 0], fc, f[s, 0], level),
                                        _cut(c, X[s, 1], fc, f[s, 1], level), axisymmetric)
        return out
    if axisymmetric:
        raise ValueError("axisymmetric models are 2D")
    s = below == 4
    out[s] = _tet_volume(X[s, 0], X[s, 1], X[s, 2], X[s, 3])
    s = below == 1
    a, fa = X[s, 0], f[s, 0]
    out[s] = _tet_volume(a, *(_cut(a, X[s, j], fa, f[s, j], level) for j in (1, 2, 3)))
    s = below == 3
    d, fd = X[s, 3], f[s, 3]
    out[s] = (_tet_volume(X[s, 0], X[s, 1], X[s, 2], d)
              - _tet_volume(d, *(_cut(d, X[s, j], fd, f[s, j], level) for j in (0, 1, 2))))
    s = below == 2  # a prism: ends (a, p_ac, p_ad) and (b, p_bc, p_bd), convex, three tetrahedra
    a, b, c, d = (X[s, j] for j in range(4))
    fa, fb, fc, fd = (f[s, j] for j in range(4))
    a1, a2 = _cut(a, c, fa, fc, level), _cut(a, d, fa, fd, level)
    b1, b2 = _cut(b, c, fb, fc, level), _cut(b, d, fb, fd, level)
    out[s] = _tet_volume(a, a1, a2, b2) + _tet_volume(a, a1, b1, b2) + _tet_volume(a, b, b1, b2)
    return out


def front_pieces(X: np.ndarray, f: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The front {f = level} in tetrahedra as triangles: a triangle where one vertex is on
    the other side, two where two are (the plane's quadrilateral). Returns the triangles
    (m, 3, 3), the cell of each (m,), and each corner's weights on the cell's four vertices
    (m, 3, 4): a corner is on an edge, so a linear field there is the weighted vertex sum."""
    order = np.argsort(f, axis=1)
    fs = np.take_along_axis(f, order, axis=1)
    below = (fs <= level).sum(axis=1)
    tris, cells = [], []

    def corner(s, i, j):
        """Where edge (i, j) of the sorted cells ``s`` crosses the level: weights (n, 4)."""
        fi, fj = fs[s, i], fs[s, j]
        t = np.clip((level - fi) / np.where(fj != fi, fj - fi, 1.0), 0.0, 1.0)
        w = np.zeros((len(s), 4))
        w[:, i], w[:, j] = 1.0 - t, t
        return w

    def add(s, corners):
        if len(s):
            tris.append(np.stack(corners, axis=1))
            cells.append(s)

    s = np.flatnonzero(below == 1)
    add(s, [corner(s, 0, j) for j in (1, 2, 3)])
    s = np.flatnonzero(below == 3)
    add(s, [corner(s, 3, j) for j in (0, 1, 2)])
    s = np.flatnonzero(below == 2)  # the quadrilateral p02 p03 p13 p12, in two triangles
    p02, p03, p13, p12 = corner(s, 0, 2), corner(s, 0, 3), corner(s, 1, 3), corner(s, 1, 2)
    add(s, [p02, p03, p13])
    add(s, [p02, p13, p12])
    if not cells:
        return np.zeros((0, 3, 3)), np.zeros(0, dtype=np.int64), np.zeros((0, 3, 4))
    cell = np.concatenate(cells)
    w_sorted = np.concatenate(tris)  # (m, 3, 4) on the sorted vertices
    w = np.zeros_like(w_sorted)
    cols = np.broadcast_to(order[cell][:, None, :], w.shape)
    np.put_along_axis(w, cols, w_sorted, axis=2)
    return np.einsum("mck,mkd->mcd", w, X[cell]), cell, w


def front_points(X: np.ndarray, f: np.ndarray, level: float) -> np.ndarray:
    """Points where the cell edges cross ``level`` (the front), (n, d); repeated where
    cells share an edge."""
    k = X.shape[1] if X.ndim == 3 else 0
    out = []
    for i, j in _EDGES.get(k, []):
        fi, fj = f[:, i], f[:, j]
        s = (np.minimum(fi, fj) <= level) & (np.maximum(fi, fj) > level)
        if s.any():
            out.append(_cut(X[s, i], X[s, j], fi[s], fj[s], level))
    return np.concatenate(out) if out else np.zeros((0, X.shape[-1] if X.ndim == 3 else 0))


# -- the front against the openings (centres (h, 2), radius R at the interface z = zi; dim 2 is (r, z)) --
def radial(P: np.ndarray, centres: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each point to the axis of its nearest hole, and which hole."""
    if dim == 2:
        return P[:, 0], np.zeros(len(P), dtype=int)
    d = np.linalg.norm(P[:, None, :2] - centres[None, :, :], axis=2)
    j = d.argmin(axis=1)
    return d[np.arange(len(P)), j], j


def rim_radius(P: np.ndarray, centres: np.ndarray, R: float, zi: float, dim: int) -> float:
    """How far from its hole's axis the front reaches on the film/base interface (R if it
    has not left the opening's edge): undercut + R."""
    on_film = np.abs(P[:, dim - 1] - zi) <= 1e-9 * zi
    return float(radial(P[on_film], centres, dim)[0].max()) if on_film.any() else R


def distance_to_openings(P: np.ndarray, centres: np.ndarray, R: float, zi: float, dim: int) -> np.ndarray:
    """Distance to the nearest opening disk: the exact reaction-limited front's distance.
    ``centres`` should hold every hole, those beyond a symmetry plane included."""
    dz = zi - P[:, dim - 1]
    if dim == 2:
        rho = P[:, :1]
    else:
        rho = np.linalg.norm(P[:, None, :2] - centres[None, :, :], axis=2)
    return np.sqrt(np.maximum(rho - R, 0.0) ** 2 + dz[:, None] ** 2).min(axis=1)
