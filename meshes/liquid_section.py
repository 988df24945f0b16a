"""The electrolyte of a growing deposit, as a 2D section (plane, or r-z for a body of
revolution) bounded by polylines: the deposit's front (``cathode``) and the fixed walls.

Built again every time the front has moved (``solver/fill.py``): the outline arrives as
named pieces in order around the loop, each piece's last point being the next one's
first. The region is ``electrolyte``; the boundaries carry the pieces' names. Cells are
``front_element_size`` along the cathode and grow to ``element_size`` away from it.

Internal: not a case-file geometry (the case names the substrate; the solver derives this).
"""

from __future__ import annotations

from typing import ClassVar

import gmsh
import numpy as np

from .base import UM_PER_M, GeometryError, add_physical, graded_size


class LiquidSection:
    type = "liquid_section"
    curved: ClassVar[bool] = False
    dimension = 2

    def __init__(self, pieces: list[tuple[np.ndarray, str]], element_size: float, front_element_size: float,
                 axisymmetric: bool):
        self.pieces = [(np.asarray(p, dtype=float), name) for p, name in pieces]
        self.element_size = element_size
        self.front_element_size = front_element_size
        self.axisymmetric = axisymmetric

    def region_names(self) -> list[str]:
        return ["electrolyte"]

    def boundary_names(self) -> list[str]:
        return list(dict.fromkeys(name for _, name in self.pieces))

    def check(self) -> None:
        for (a, name_a), (b, name_b) in zip(self.pieces, self.pieces[1:] + self.pieces[:1]):
            if len(a) < 2:
                raise GeometryError(f"outline.{name_a}", "a piece needs at least two points")
            if np.linalg.norm(a[-1] - b[0]) > 1e-9 * self.scale:
                raise GeometryError(f"outline.{name_a}", f"does not end where {name_b} starts")
        loop = self.loop()
        seg = np.linalg.norm(np.diff(np.vstack([loop, loop[:1]]), axis=0), axis=1)
        if seg.min() <= 1e-6 * self.front_element_size:
            k = int(seg.argmin())
            raise GeometryError("outline", f"two consecutive outline points coincide at "
                                           f"({loop[k, 0] * UM_PER_M:.4g}, {loop[k, 1] * UM_PER_M:.4g}) um")

        crossing = _first_crossing(loop)
        if crossing is not None:
            # gmsh would loop for ever on a self-intersecting outline
            raise GeometryError("outline", "the outline crosses itself near ({:.4g}, {:.4g}) um".format(
                *(crossing * UM_PER_M)))

    @property
    def scale(self) -> float:
        pts = np.vstack([p for p, _ in self.pieces])
        return float(np.ptp(pts, axis=0).max())

    def loop(self) -> np.ndarray:
        """The outline's distinct points in order (m)."""
        return np.vstack([p[:-1] for p, _ in self.pieces])

    def build(self, model_name: str = "liquid_section") -> None:
        gmsh.model.add(model_name)
        geo = gmsh.model.geo
        um = UM_PER_M
        h, hf = self.element_size * um, self.front_element_size * um
        tags = [geo.addPoint(x * um, y * um, 0.0, h) for x, y in self.loop()]
        curves: dict[str, list[int]] = {}
        k = 0
        lines = []
        for p, name in self.pieces:
            for _ in range(len(p) - 1):
                a, b = tags[k % len(tags)], tags[(k + 1) % len(tags)]
                line = geo.addLine(a, b)
                lines.append(line)
                curves.setdefault(name, []).append(line)
                k += 1
        face = geo.addPlaneSurface([geo.addCurveLoop(lines)])
        geo.synchronize()
        # one cell facet per front segment: the solver reads the deposition current at the
        # front's points as mesh vertices
        for line in curves.get("cathode", []):
            gmsh.model.mesh.setTransfiniteCurve(line, 2)
        add_physical(2, [face], "electrolyte", 1)
        for tag, (name, lines_of) in enumerate(curves.items(), start=2):
            add_physical(1, lines_of, name, tag)
        grade = graded_size("CurvesList", curves.get("cathode", []), 20, hf, h, hf, 10 * h)
        gmsh.model.mesh.field.setAsBackgroundMesh(grade)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
        gmsh.option.setNumber("Mesh.MeshSizeMax", h)
        gmsh.option.setNumber("Mesh.Algorithm", 6)


def _first_crossing(loop: np.ndarray) -> np.ndarray | None:
    """A point where two non-adjacent edges of the closed polygon meet, or None."""
    p, q = loop, np.roll(loop, -1, axis=0)
    r = q - p
    n = len(loop)
    denom = r[:, None, 0] * r[None, :, 1] - r[:, None, 1] * r[None, :, 0]
    ap = p[None, :, :] - p[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (ap[..., 0] * r[None, :, 1] - ap[..., 1] * r[None, :, 0]) / denom
        u = (ap[..., 0] * r[:, None, 1] - ap[..., 1] * r[:, None, 0]) / denom
    idx = np.arange(n)
    gap = (idx[None, :] - idx[:, None]) % n
    ok = (np.abs(denom) > 0) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1) & (gap > 1) & (gap < n - 1)
    i, j = np.nonzero(ok)
    if len(i) == 0:
        return None
    return p[i[0]] + t[i[0], j[0]] * r[i[0]]
