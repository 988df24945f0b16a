"""The front of a growing deposit in a 2D section (plane, or r-z about the axis r = 0):
a polyline from its ``start`` end to its ``end`` end, the metal on its left, the
electrolyte on its right. Each end slides along a fixed wall (a :class:`Wall`: the
insulating film, the axis, a symmetry cut) as the deposit grows.

Pure geometry (numpy): moving the front, keeping its points spaced, and finding where it
closes on itself or on a wall. A region the front closes off holds electrolyte that no
current reaches any more: a trapped void (if it is thicker than the growth resolution) or
a seam (where two fronts met).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class Wall:
    """A fixed polyline along which an end of the front slides (arclength s from its first point)."""

    points: np.ndarray  # (n, 2)

    def __post_init__(self):
        self.points = np.asarray(self.points, dtype=float)
        self.s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(self.points, axis=0), axis=1))])

    @property
    def length(self) -> float:
        return float(self.s[-1])

    def at(self, s: float) -> np.ndarray:
        s = min(max(s, 0.0), self.length)
        return np.array([np.interp(s, self.s, self.points[:, 0]), np.interp(s, self.s, self.points[:, 1])])

    def between(self, s0: float, s1: float) -> np.ndarray:
        """The wall from s0 to s1 (either order), its corners included."""
        lo, hi = sorted((s0, s1))
        eps = 1e-6 * self.length  # a corner within round-off of an end would make a zero-length edge
        inner = self.points[(self.s > lo + eps) & (self.s < hi - eps)]
        pts = np.vstack([self.at(lo), inner, self.at(hi)])
        return pts if s0 <= s1 else pts[::-1]


@dataclass
class Void:
    time: float  # s, when it closed
    volume: float  # m^3 (m^2 per metre of depth in a plane section)
    centroid: tuple[float, float]  # (r, z) or (x, y), m
    thickness: float  # twice its area over its perimeter (m): a seam's is about zero
    outline: np.ndarray


def signed_area(poly: np.ndarray) -> float:
    """Shoelace area, positive counter-clockwise."""
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def section_measure(poly: np.ndarray, axisymmetric: bool) -> tuple[float, np.ndarray]:
    """(volume of revolution about r = 0 by Pappus, or the plane area; area centroid) of a
    closed polygon."""
    x, y = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    area = 0.5 * cross.sum()
    if abs(area) < 1e-300:
        return 0.0, poly.mean(axis=0)
    cx = ((x + x1) * cross).sum() / (6 * area)
    cy = ((y + y1) * cross).sum() / (6 * area)
    size = 2 * math.pi * abs(area) * cx if axisymmetric else abs(area)
    return float(size), np.array([cx, cy])


def hat_r_weights(wall: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per segment, int phi r ds / L for the hat functions of its first and last point:
    (2 r_a + r_b) / 6 and (r_a + 2 r_b) / 6."""
    a, b = wall[:-1, 0], wall[1:, 0]
    return (2 * a + b) / 6, (a + 2 * b) / 6


def weighted_normals(front: np.ndarray, axisymmetric: bool) -> np.ndarray:
    """Per point: N_i = int phi_i n w ds over its segments (n the left normal, into the
    metal; w = r about the axis, else 1): moving a point along N_i / |N_i| sweeps the
    volume its share of the front carries."""
    a, b = front[:-1], front[1:]
    d = b - a
    n_seg = np.column_stack([-d[:, 1], d[:, 0]])
    if axisymmetric:
        wa, wb = hat_r_weights(front)
    else:
        wa = wb = np.full(len(a), 0.5)
    N = np.zeros_like(front)
    np.add.at(N, np.arange(len(a)), wa[:, None] * n_seg)
    np.add.at(N, np.arange(len(a)) + 1, wb[:, None] * n_seg)
    return N


def profile_volume(profile: np.ndarray) -> float:
    """Volume of revolution of the region between the interface (z = 0), the axis and the
    wall polyline (from the interface to the axis)."""
    return section_measure(np.vstack([[0.0, 0.0], profile]), axisymmetric=True)[0]


def isotropic_profile(R: float, d: float, spacing: float) -> np.ndarray:
    """The reaction-limited wall of depth d: a quarter circle about the mask edge, then flat."""
    n_arc = max(4, int(math.ceil(math.pi / 2 * d / spacing)))
    phi = np.linspace(0.0, math.pi / 2, n_arc + 1)
    arc = np.column_stack([R + d * np.cos(phi), -d * np.sin(phi)])
    n_flat = max(2, int(math.ceil(R / spacing)))
    flat = np.column_stack([np.linspace(R, 0.0, n_flat + 1)[1:], np.full(n_flat, -d)])
    return np.vstack([arc, flat])


def arclength_fraction(profile: np.ndarray) -> np.ndarray:
    """Position of each wall point along the wall, 0 at the interface to 1 on the axis."""
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(profile, axis=0), axis=1))])
    return s / s[-1]


def respace(front: np.ndarray, spacing: float) -> np.ndarray:
    """Split segments longer than ``spacing`` at their midpoints (the polygon is unchanged);
    drop an interior point closer than spacing / 3 to the next."""
    while True:
        seg = np.linalg.norm(np.diff(front, axis=0), axis=1)
        long = np.flatnonzero(seg > spacing)
        if len(long) == 0:
            break
        front = np.insert(front, long + 1, 0.5 * (front[long] + front[long + 1]), axis=0)
    seg = np.linalg.norm(np.diff(front, axis=0), axis=1)
    short = np.flatnonzero(seg[1:] < spacing / 3) + 1
    short = short[short < len(front) - 1]
    return np.delete(front, short, axis=0) if len(short) else front


def segment_hits(p: np.ndarray, q: np.ndarray, a: np.ndarray, b: np.ndarray):
    """Intersections of segments p_i q_i with segments a_j b_j: (i, j, t along pq, u along ab)."""
    r = q - p
    s = b - a
    denom = r[:, None, 0] * s[None, :, 1] - r[:, None, 1] * s[None, :, 0]
    ap = a[None, :, :] - p[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (ap[..., 0] * s[None, :, 1] - ap[..., 1] * s[None, :, 0]) / denom
        u = (ap[..., 0] * r[:, None, 1] - ap[..., 1] * r[:, None, 0]) / denom
    ok = (np.abs(denom) > 1e-300) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    i, j = np.nonzero(ok)
    return i, j, t[i, j], u[i, j]


def _hits_beyond(front: np.ndarray, wall: Wall, s_end: float):
    """Where the front's segments meet the wall beyond arclength ``s_end`` (the front's own
    end lies on the wall at s_end): (segment index, position along it, wall arclength)."""
    i, j, t, u = segment_hits(front[:-1], front[1:], wall.points[:-1], wall.points[1:])
    s_hit = wall.s[j] + u * (wall.s[j + 1] - wall.s[j])
    beyond = s_hit > s_end + 1e-9 * wall.length
    return i[beyond], t[beyond], s_hit[beyond]


def close_off(front: np.ndarray, s_start: float, s_end: float, start_wall: Wall, end_wall: Wall):
    """Cut from the front what it has closed off. Returns (front, s_start, s_end, pockets)
    with pockets the closed polygons of electrolyte cut off (in the order found):

    - the front crossing itself: the loop between the crossing segments, if it holds
      electrolyte (clockwise: the electrolyte is on the front's right); a loop of metal
      (the front swept over itself at a concave corner) is just dropped;
    - the front reaching the end wall (the axis) before its end: the electrolyte below;
    - the front reaching the start wall (the film) ahead of its start: the pocket between."""
    pockets = []
    while True:  # self-crossings, one at a time
        p, q = front[:-1], front[1:]
        i, j, t, _ = segment_hits(p, q, p, q)
        keep = j > i + 1
        if not keep.any():
            break
        i, j, t = i[keep], j[keep], t[keep]
        k = np.argmin(i * len(front) + j)  # the first crossing along the front
        a, b = int(i[k]), int(j[k])
        x = p[a] + t[k] * (q[a] - p[a])
        loop = np.vstack([x, front[a + 1:b + 1]])
        if signed_area(loop) < 0:
            pockets.append(loop)
        front = np.vstack([front[:a + 1], x, front[b + 1:]])
    # the end wall (axis); the end itself lies on it, so only a hit beyond it counts
    i, t, s_hit = _hits_beyond(front, end_wall, s_end)
    if len(i):
        k = np.argmin(i + t)  # along the front: segment, then position on it
        a = int(i[k])
        x = front[a] + t[k] * (front[a + 1] - front[a])
        s_x = s_hit[k]
        pockets.append(np.vstack([x, front[a + 1:], end_wall.between(s_end, s_x)[1:-1]]))
        front = np.vstack([front[:a + 1], x])
        s_end = s_x
    # the start wall (film): the start lies on it; a hit beyond it (also by the first
    # segment, cutting across a corner of the wall) closes the pocket between
    i, t, s_hit = _hits_beyond(front, start_wall, s_start)
    if len(i):
        # the pocket is closed where the front first meets the wall; between its first and
        # last hit it runs inside the wall (one step's overshoot), dropped; the front goes
        # on from the last
        k = np.argmin(i + t)  # along the front: segment, then position on it (one segment can
        a = int(i[k])           # cross the film's underside and then its hole wall)
        x = front[a] + t[k] * (front[a + 1] - front[a])
        pockets.append(np.vstack([start_wall.between(s_hit[k], s_start)[:-1], front[:a + 1], x]))
        k = np.argmax(i + t)
        a = int(i[k])
        x = front[a] + t[k] * (front[a + 1] - front[a])
        front = np.vstack([x, front[a + 1:]])
        s_start = s_hit[k]
    return front, s_start, s_end, pockets


def grow(front: np.ndarray, v: np.ndarray, dt: float, spacing: float, s_start: float, s_end: float,
         start_wall: Wall, end_wall: Wall, axisymmetric: bool):
    """Move the points by v dt into the electrolyte along their weighted normals; the ends
    slide along their walls at their speeds. Returns (front, s_start, s_end)."""
    N = weighted_normals(front, axisymmetric)
    unit = N / np.maximum(np.linalg.norm(N, axis=1), 1e-300)[:, None]
    new = front - (v * dt)[:, None] * unit
    s_start = min(s_start + v[0] * dt, start_wall.length)
    s_end = min(s_end + v[-1] * dt, end_wall.length)
    new[0], new[-1] = start_wall.at(s_start), end_wall.at(s_end)
    return respace(new, spacing), s_start, s_end


def thickness_along(initial: np.ndarray, front: np.ndarray) -> np.ndarray:
    """Distance from each point of the initial wall to the present front (the local
    deposit thickness while the coat is thinner than the wall's radius of curvature)."""
    a, b = front[:-1], front[1:]
    d = b - a
    L2 = np.maximum((d * d).sum(axis=1), 1e-300)
    t = np.clip(((initial[:, None, :] - a[None]) * d[None]).sum(axis=2) / L2[None], 0.0, 1.0)
    closest = a[None] + t[..., None] * d[None]
    return np.linalg.norm(initial[:, None, :] - closest, axis=2).min(axis=1)
