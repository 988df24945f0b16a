"""Assemble overlapping primitives into one conforming gmsh model with named regions.

A package is easier to describe as overlapping primitives than as a partition: a bump is
a cylinder plus a cone that pierce the resin box, a trace is a box that swallows the bump
tip. ``Assembly`` takes primitives with a region name and a precedence, fragments them all
at once (so every interface is conforming) and gives each piece to the highest-precedence
primitive it came from; pieces of the region ``VOID`` are removed. Boundaries are then
named by what touches them: two regions make ``interface_<a>_<b>`` (or a builder's own
name such as ``cathode``), one region makes an exterior face classified by position.

Profiles in (r, z) serve both axisymmetric models (x = r, y = z) and 3D solids of
revolution, so a 2D-axisymmetric variant and its 3D model share one description.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import gmsh

from .base import GeometryError, add_physical, bounding_box

VOID = "__void__"


@dataclass
class Part:
    dimtags: list[tuple[int, int]]
    region: str
    priority: int


class Assembly:
    def __init__(self, dim: int, region_order: Sequence[str]):
        self.dim = dim
        self.order = list(region_order)
        self.parts: list[Part] = []
        self.sector: tuple[list[float], list[float]] | None = None

    # -- building ------------------------------------------------------------------------
    def clip_to(self, lo: Sequence[float], hi: Sequence[float]) -> None:
        """Keep only what lies in the box lo..hi (half and quarter models)."""
        self.sector = (list(lo), list(hi))

    def add(self, dimtags, region: str, priority: int) -> None:
        dimtags = [dimtags] if isinstance(dimtags, tuple) else list(dimtags)
        if not dimtags:
            # OCC booleans can fail silently; a lost primitive must not become a lost bump.
            raise RuntimeError(f"an OpenCASCADE operation returned nothing for a part of {region!r}")
        if self.sector is not None:
            dimtags = self._clip(dimtags)
            if not dimtags:
                return
        self.parts.append(Part(dimtags, region, priority))

    def _clip(self, dimtags):
        occ = gmsh.model.occ
        lo, hi = self.sector
        if self.dim == 3:
            box = occ.addBox(lo[0], lo[1], lo[2], hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])
        else:
            box = occ.addRectangle(lo[0], lo[1], 0, hi[0] - lo[0], hi[1] - lo[1])
        out, _ = occ.intersect(dimtags, [(self.dim, box)], removeObject=True, removeTool=True)
        return [e for e in out if e[0] == self.dim]

    def fragment(self) -> dict[str, list[int]]:
        """Fragment all parts; return region -> entity tags (VOID pieces removed)."""
        occ = gmsh.model.occ
        flat: list[tuple[int, int]] = []
        owner_of_input: list[Part] = []
        for part in self.parts:
            for dt in part.dimtags:
                flat.append(dt)
                owner_of_input.append(part)
        if not flat:
            raise GeometryError("geometry", "nothing to build")
        if len(flat) > 1:
            _, mapping = occ.fragment(flat[:1], flat[1:])
        else:
            mapping = [flat]
        best: dict[tuple[int, int], Part] = {}
        for part, pieces in zip(owner_of_input, mapping):
            for piece in pieces:
                if piece[0] != self.dim:
                    continue
                cur = best.get(piece)
                if cur is None or part.priority > cur.priority:
                    best[piece] = part
        voids = [piece for piece, part in best.items() if part.region == VOID]
        if voids:
            occ.remove(voids, recursive=True)
        occ.synchronize()
        regions: dict[str, list[int]] = {}
        for piece, part in sorted(best.items()):
            if part.region != VOID:
                regions.setdefault(part.region, []).append(piece[1])
        self.regions = regions
        self.region_of = {tag: name for name, tags in regions.items() for tag in tags}
        return regions

    # -- naming ---------------------------------------------------------------------------
    def boundaries(
        self,
        exterior: Callable[[tuple[float, ...], str], str | None],
        interface_name: Callable[[str, str], str | None] | None = None,
    ) -> dict[str, list[int]]:
        """Name every face: between two regions ``interface_name(a, b)`` (a before b in
        region order; None gives the default ``interface_<a>_<b>``, "" leaves it
        unnamed), on the outside ``exterior(bbox, region)`` (None or "" leaves it unnamed)."""
        names: dict[str, list[int]] = {}
        rank = {name: i for i, name in enumerate(self.order)}
        for _, face in gmsh.model.getEntities(self.dim - 1):
            up, _ = gmsh.model.getAdjacencies(self.dim - 1, face)
            owners = sorted({self.region_of[t] for t in up if t in self.region_of}, key=lambda r: rank.get(r, 99))
            if len(owners) == 2:
                a, b = owners
                name = interface_name(a, b) if interface_name else None
                if name is None:
                    name = f"interface_{a}_{b}"
            elif len(owners) == 1 and len([t for t in up if t in self.region_of]) == 1:
                name = exterior(bounding_box(self.dim - 1, face), owners[0])
            else:
                name = None  # inside one region
            if name:
                names.setdefault(name, []).append(face)
        return names

    def add_physical_groups(self, boundaries: dict[str, list[int]]) -> tuple[dict[str, int], dict[str, int]]:
        tag = 1
        regions, faces = {}, {}
        for name in self.order:
            if name in self.regions:
                regions[name] = add_physical(self.dim, self.regions[name], name, tag)
                tag += 1
        for name in sorted(boundaries):
            faces[name] = add_physical(self.dim - 1, boundaries[name], name, tag)
            tag += 1
        return regions, faces

    # -- mesh sizes -----------------------------------------------------------------------
    def set_sizes(self, sizes: dict[str, float], default: float, curvature_points: int = 12) -> None:
        """Target element size per region (micrometres), imposed at the geometry points of
        each region (an interface takes the finer side). Sizes are not extended from the
        boundary into faces and volumes: gmsh's fronts grade from fine edges to
        ``default`` by themselves, whereas extension (or distance fields, which cost
        minutes on a package) let a 5 um pad size spread over a whole die face. Curved
        faces get at least ``curvature_points`` elements per 2 pi."""
        point_size: dict[int, float] = {}
        for region, tags in self.regions.items():
            h = min(sizes.get(region, default), default)
            pts = gmsh.model.getBoundary([(self.dim, t) for t in tags], combined=False, recursive=True)
            for _, p in pts:
                point_size[p] = min(point_size.get(p, math.inf), h)
        for p, h in sorted(point_size.items()):
            gmsh.model.mesh.setSize([(0, p)], h)
        gmsh.option.setNumber("Mesh.MeshSizeMax", default)
        gmsh.option.setNumber("Mesh.MeshSizeMin", 0.0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 1)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", curvature_points)


def lateral_face(bb: Sequence[float], dim: int, extent: tuple[float, float], symmetry: str,
                 scale: float) -> str | None:
    """Name of an exterior face on the sides of a box-shaped model of ``extent`` (x, y)
    starting at the origin: ``sym_x``/``sym_y`` on the symmetry planes through the centre
    (``symmetry`` "half" or "quarter"), ``axis`` at r = 0 of an axisymmetric model,
    ``side`` on the outer walls; None for any other face."""
    from .base import isclose

    lo, hi = bb[:3], bb[3:]
    ex, ey = extent
    flat = [isclose(lo[i], hi[i], scale) for i in range(3)]
    sym = {"none": "", "half": "x", "quarter": "xy"}[symmetry]
    if flat[0] and "x" in sym and isclose(lo[0], ex / 2, scale):
        return "sym_x"
    if dim == 3 and flat[1] and "y" in sym and isclose(lo[1], ey / 2, scale):
        return "sym_y"
    if dim == 2 and flat[0] and isclose(lo[0], 0.0, scale):
        return "axis"
    if flat[0] and (isclose(lo[0], 0.0, scale) or isclose(lo[0], ex, scale)):
        return "side"
    if dim == 3 and flat[1] and (isclose(lo[1], 0.0, scale) or isclose(lo[1], ey, scale)):
        return "side"
    return None


# -- shapes ---------------------------------------------------------------------------------
def profile_face(rz: Sequence[tuple[float, float]], arcs: dict[int, tuple[float, float]] | None = None,
                 plane: str = "xy", origin: tuple[float, float] = (0.0, 0.0)) -> int:
    """A planar face bounded by the closed polyline ``rz`` in (r, z); segment i (from
    point i to i+1) is a circular arc about ``arcs[i]`` where given. ``plane`` "xy"
    draws it at x = r, y = z (axisymmetric models); "xz" draws it at x = x0 + r, z = z
    in the plane y = y0 (to be revolved about the vertical axis through ``origin``)."""
    occ = gmsh.model.occ
    arcs = arcs or {}
    x0, y0 = origin

    def point(r, z):
        return occ.addPoint(r, z, 0) if plane == "xy" else occ.addPoint(x0 + r, y0, z)

    pts = [point(*p) for p in rz]
    curves = []
    for i in range(len(pts)):
        a, b = pts[i], pts[(i + 1) % len(pts)]
        if i in arcs:
            curves.append(occ.addCircleArc(a, point(*arcs[i]), b))
        else:
            curves.append(occ.addLine(a, b))
    return occ.addPlaneSurface([occ.addCurveLoop(curves)])


def revolved(rz, arcs=None, dim: int = 3, origin: tuple[float, float] = (0.0, 0.0)) -> list[tuple[int, int]]:
    """A solid of revolution about the vertical axis through ``origin`` (dim 3), or the
    profile itself as an axisymmetric face (dim 2)."""
    if dim == 2:
        return [(2, profile_face(rz, arcs, "xy"))]
    face = profile_face(rz, arcs, "xz", origin)
    out = gmsh.model.occ.revolve([(2, face)], origin[0], origin[1], 0, 0, 0, 1, 2 * math.pi)
    return [e for e in out if e[0] == 3]


def cylinder(x, y, z0, z1, radius, dim: int = 3):
    """A vertical cylinder (3D) or its axisymmetric rectangle (2D, x = 0 axis)."""
    if dim == 2:
        return [(2, gmsh.model.occ.addRectangle(0.0, z0, 0, radius, z1 - z0))]
    return [(3, gmsh.model.occ.addCylinder(x, y, z0, 0, 0, z1 - z0, radius))]


def frustum(x, y, z0, z1, r0, r1, dim: int = 3):
    """A vertical truncated cone from radius r0 at z0 to r1 at z1 (3D), or its
    axisymmetric trapezoid (2D)."""
    if dim == 2:
        pts = [(0.0, z0), (r0, z0), (r1, z1), (0.0, z1)]
        if r1 == 0:
            pts = [(0.0, z0), (r0, z0), (0.0, z1)]
        return [(2, profile_face(pts, None, "xy"))]
    if r0 == r1:  # OCC refuses a cone with equal radii
        return cylinder(x, y, z0, z1, r0, dim)
    return [(3, gmsh.model.occ.addCone(x, y, z0, 0, 0, z1 - z0, r0, r1))]


def slab(lo: Sequence[float], hi: Sequence[float], dim: int = 3):
    """An axis-aligned box (3D) or rectangle (2D: lo/hi are (r, z))."""
    occ = gmsh.model.occ
    if dim == 2:
        return [(2, occ.addRectangle(lo[0], lo[1], 0, hi[0] - lo[0], hi[1] - lo[1]))]
    return [(3, occ.addBox(lo[0], lo[1], lo[2], hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]))]


def bar(x0, y0, x1, y1, width, z0, z1):
    """A straight trace of ``width`` from (x0, y0) to (x1, y1), z0..z1 (3D only)."""
    occ = gmsh.model.occ
    length = math.hypot(x1 - x0, y1 - y0)
    box = occ.addBox(0.0, -width / 2, z0, length, width, z1 - z0)
    angle = math.atan2(y1 - y0, x1 - x0)
    if angle:
        occ.rotate([(3, box)], 0, 0, 0, 0, 0, 1, angle)
    occ.translate([(3, box)], x0, y0, 0)
    return [(3, box)]
