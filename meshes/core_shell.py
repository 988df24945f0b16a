"""A core of radius a inside a shell of outer radius b: Lame's cylinder (2D, plane strain),
the sphere in a spherical shell (2D axisymmetric quarter, or 3D), a bump in resin.

Centred at the origin. ``sector`` keeps part of it with symmetry planes through the
centre: ``half`` keeps y >= 0 (z >= 0 in 3D), ``quarter`` x >= 0 and y >= 0, ``octant``
(3D) x, y, z >= 0. As an axisymmetric model (x = r, y = z), the quarter disk is a sphere
in a shell with the axis on ``sym_x`` and the equatorial plane on ``sym_y``.

Physical groups: regions ``core`` and ``shell`` (names configurable); boundaries
``outer`` (radius b), ``interface_<core>_<shell>`` (radius a), and the symmetry planes kept by the
sector: ``sym_x`` (x = 0), ``sym_y`` (y = 0), ``sym_z`` (z = 0).
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import gmsh
from pydantic import Field, model_validator

from .base import UM_PER_M, GeometryModel, RegionName, add_physical, bounding_box, isclose, point_on
from .units import Length


class CoreShell(GeometryModel):
    type: Literal["core_shell"]
    dimension: Literal[2, 3] = 2
    core_radius: Length = Field(gt=0)
    outer_radius: Length = Field(gt=0)
    sector: Literal["full", "half", "quarter", "octant"] = "quarter"
    core_region: RegionName = "core"
    shell_region: RegionName = "shell"
    element_size: Length = Field(gt=0)

    @model_validator(mode="after")
    def _consistent(self):
        if self.outer_radius <= self.core_radius:
            raise ValueError("outer_radius must be larger than core_radius")
        if self.sector == "octant" and self.dimension == 2:
            raise ValueError("sector = 'octant' needs dimension = 3")
        if self.core_region == self.shell_region:
            raise ValueError("core_region and shell_region must differ")
        return self

    curved: ClassVar[bool] = True  # circles/spheres: quadratic elements follow them to O(h^3)

    def region_names(self) -> list[str]:
        return [self.core_region, self.shell_region]

    def symmetry_planes(self) -> list[str]:
        return {
            "full": [],
            "half": ["sym_y"] if self.dimension == 2 else ["sym_z"],
            "quarter": ["sym_x", "sym_y"],
            "octant": ["sym_x", "sym_y", "sym_z"],
        }[self.sector]

    def boundary_names(self) -> list[str]:
        return ["outer", self.interface_name, *self.symmetry_planes()]

    @property
    def interface_name(self) -> str:
        return f"interface_{self.core_region}_{self.shell_region}"

    def check(self) -> None:
        return None

    def build(self, model_name: str = "core_shell") -> None:
        gmsh.model.add(model_name)
        occ = gmsh.model.occ
        a, b = self.core_radius * UM_PER_M, self.outer_radius * UM_PER_M
        if self.dimension == 2:
            outer = occ.addDisk(0, 0, 0, b, b)
            core = occ.addDisk(0, 0, 0, a, a)
        else:
            outer = occ.addSphere(0, 0, 0, b)
            core = occ.addSphere(0, 0, 0, a)
        dim = self.dimension
        pieces = [(dim, outer), (dim, core)]
        if self.sector != "full":
            lo = [-2 * b, -2 * b, -2 * b]
            if self.sector in ("quarter", "octant"):
                lo[0] = lo[1] = 0.0
            if self.sector == "octant" or (self.sector == "half"):
                lo[dim - 1] = 0.0
            # Reaching well past the circle: a box edge tangent to it can make OCC's
            # intersection come back empty.
            hi = 2 * b
            if dim == 2:
                cut = occ.addRectangle(lo[0], lo[1], 0, hi - lo[0], hi - lo[1])
            else:
                cut = occ.addBox(lo[0], lo[1], lo[2], hi - lo[0], hi - lo[1], hi - lo[2])
            pieces, _ = occ.intersect(pieces, [(dim, cut)])
        occ.fragment(pieces, [])
        occ.synchronize()

        scale = b
        core_ents, shell_ents = [], []
        for _, tag in gmsh.model.getEntities(dim):
            box = bounding_box(dim, tag)
            reach = max(abs(v) for v in box)
            (core_ents if reach < 0.5 * (a + b) else shell_ents).append(tag)

        faces: dict[str, list[int]] = {}
        for _, tag in gmsh.model.getEntities(dim - 1):
            box = bounding_box(dim - 1, tag)
            flat = [isclose(box[k], box[k + 3], scale) and isclose(box[k], 0.0, scale) for k in range(dim)]
            if any(flat):
                faces.setdefault("sym_" + "xyz"[flat.index(True)], []).append(tag)
                continue
            r = math.dist(point_on(dim - 1, tag), (0.0, 0.0, 0.0))
            faces.setdefault(self.interface_name if abs(r - a) < abs(r - b) else "outer", []).append(tag)

        tag = 1
        add_physical(dim, core_ents, self.core_region, tag)
        add_physical(dim, shell_ents, self.shell_region, tag + 1)
        tag += 2
        for name in self.boundary_names():
            add_physical(dim - 1, faces.get(name, []), name, tag)
            tag += 1

        h = self.element_size * UM_PER_M
        gmsh.option.setNumber("Mesh.MeshSizeMax", h)
        gmsh.option.setNumber("Mesh.MeshSizeMin", 0.0)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 1)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
