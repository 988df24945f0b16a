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
    if len(X) == 0:
        return 0.0
    order = np.argsort(f, axis=1)  # vertices from the first etched to the last
    f = np.take_along_axis(f, order, axis=1)
    X = np.take_along_axis(X, order[:, :, None], axis=1)
    below = (f <= level).sum(axis=1)
    k = X.shape[1]
    total = 0.0
    if k == 3:
        def full(s):
            return _tri_measure(X[s, 0], X[s, 1], X[s, 2], axisymmetric)

        s = below == 3
        total += full(s).sum()
        s = below == 1  # the corner at vertex 0
        a, fa = X[s, 0], f[s, 0]
        total += _tri_measure(a, _cut(a, X[s, 1], fa, f[s, 1], level), _cut(a, X[s, 2], fa, f[s, 2], level),
                              axisymmetric).sum()
        s = below == 2  # all but the corner at vertex 2
        c, fc = X[s, 2], f[s, 2]
        total += (full(s) - _tri_measure(c, _cut(c, X[s, 0], fc, f[s, 0], level),
                                         _cut(c, X[s, 1], fc, f[s, 1], level), axisymmetric)).sum()
        return float(total)
    if axisymmetric:
        raise ValueError("axisymmetric models are 2D")
    s = below == 4
    total += _tet_volume(X[s, 0], X[s, 1], X[s, 2], X[s, 3]).sum()
    s = below == 1
    a, fa = X[s, 0], f[s, 0]
    total += _tet_volume(a, *(_cut(a, X[s, j], fa, f[s, j], level) for j in (1, 2, 3))).sum()
    s = below == 3
    d, fd = X[s, 3], f[s, 3]
    total += (_tet_volume(X[s, 0], X[s, 1], X[s, 2], d)
              - _tet_volume(d, *(_cut(d, X[s, j], fd, f[s, j], level) for j in (0, 1, 2)))).sum()
    s = below == 2  # a prism: ends (a, p_ac, p_ad) and (b, p_bc, p_bd), convex, three tetrahedra
    a, b, c, d = (X[s, j] for j in range(4))
    fa, fb, fc, fd = (f[s, j] for j in range(4))
    a1, a2 = _cut(a, c, fa, fc, level), _cut(a, d, fa, fd, level)
    b1, b2 = _cut(b, c, fb, fc, level), _cut(b, d, fb, fd, level)
    total += (_tet_volume(a, a1, a2, b2) + _tet_volume(a, a1, b1, b2) + _tet_volume(a, b, b1, b2)).sum()
    return float(total)


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
