"""Cut cells and distances of the front (used by the reaction-limited etch): exact clipped
volumes of a linear field in tetrahedra and of an axisymmetric cylinder, point-to-triangle
distance against sampling, neighbours of the opening's simplices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solver.fronts.cut_cells import etched_measure, front_points
from solver.fronts.distance import distance_to_triangles, simplex_neighbours


def _cube_tets(n: int):
    """The unit cube in n^3 cubes of 6 tetrahedra each (Kuhn), (c, 4, 3)."""
    g = np.linspace(0, 1, n + 1)
    corners = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)])
    kuhn = [[0, 1, 3, 7], [0, 1, 5, 7], [0, 2, 3, 7], [0, 2, 6, 7], [0, 4, 5, 7], [0, 4, 6, 7]]
    idx = {tuple(c): m for m, c in enumerate(corners)}
    order = [idx[(a >> 2 & 1, a >> 1 & 1, a & 1)] for a in range(8)]
    tets = []
    for i in range(n):
        for j in range(n):
            for k in range(n):
                X = np.array([[g[i + c[0]], g[j + c[1]], g[k + c[2]]] for c in corners])[order]
                tets += [X[t] for t in kuhn]
    return np.array(tets)


@pytest.mark.parametrize("level", [0.3, 1.0, 1.7, 2.6])
def test_clipped_volume_is_exact_for_a_linear_field(level):
    """{x + y + z <= s} in the unit cube has the Irwin-Hall volume; the field is linear in
    every cell, so the cut cells must sum to it to round-off (all four cut cases occur)."""
    X = _cube_tets(3)
    f = X.sum(axis=2)
    s = level
    exact = sum((-1) ** k * math.comb(3, k) * max(s - k, 0.0) ** 3 for k in range(4)) / 6
    assert etched_measure(X, f, s) == pytest.approx(exact, rel=1e-12)
    P = front_points(X, f, s)
    assert np.allclose(P.sum(axis=1), s)


def test_clipped_axisymmetric_volume_of_a_cylinder():
    """Triangles of the (r, z) rectangle [0, 2] x [0, 1] cut at z <= 0.4: the revolved
    volume is pi r^2 h exactly (Pappus on every piece)."""
    tri = []
    r, z = np.linspace(0, 2, 7), np.linspace(0, 1, 5)
    for i in range(6):
        for j in range(4):
            a, b, c, d = (r[i], z[j]), (r[i + 1], z[j]), (r[i + 1], z[j + 1]), (r[i], z[j + 1])
            tri += [[a, b, c], [a, c, d]]
    X = np.array(tri)
    assert etched_measure(X, X[:, :, 1], 0.4, axisymmetric=True) == pytest.approx(math.pi * 4 * 0.4, rel=1e-12)


def test_triangle_distance_against_sampling():
    """Point-to-triangle distance against dense sampling of the triangle (to the sampling
    resolution) for points all around it."""
    rng = np.random.default_rng(3)
    tri = np.array([[0.0, 0.0, 0.0], [1.0, 0.1, 0.0], [0.3, 0.8, 0.2]])
    u, v = np.meshgrid(np.linspace(0, 1, 201), np.linspace(0, 1, 201))
    keep = u + v <= 1
    S = tri[0] + u[keep][:, None] * (tri[1] - tri[0]) + v[keep][:, None] * (tri[2] - tri[0])
    p = rng.uniform(-1, 2, size=(40, 3))
    d = distance_to_triangles(p, *(np.repeat(tri[None, k], len(p), axis=0) for k in range(3)))
    sampled = np.linalg.norm(p[:, None, :] - S[None], axis=2).min(axis=1)
    assert np.all(d <= sampled + 1e-12)
    assert np.all(sampled - d < 5e-3)


def test_opening_neighbours_share_a_vertex():
    simplices = np.array([[[0, 0], [1, 0]], [[1, 0], [2, 0]], [[2, 0], [3, 0]]], dtype=float)
    nb = simplex_neighbours(simplices)
    assert sorted(nb[0][nb[0] >= 0]) == [0, 1] and sorted(nb[1][nb[1] >= 0]) == [0, 1, 2]
