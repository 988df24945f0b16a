"""A wafer plating cell, 2D axisymmetric (x = r, y = z): the electrolyte between the wafer
(the cathode, face down in a fountain cell or face up in a rack cell, here at z = 0) and an
anode ``height`` above it, inside an insulating cylinder of radius ``cell_radius``.

Region ``electrolyte``. Boundaries: ``cathode`` (the wafer's wetted face, z = 0,
0 <= r <= radius), ``anode`` (z = height, 0 <= r <= anode_radius), ``axis`` (r = 0),
``insulator`` (the cell wall, the holder beyond the wafer's rim, the lid beyond the anode,
an optional shield), and the point ``contact`` (r = radius, z = 0) where the contact ring
feeds the seed film.

An optional insulating shield (a ring baffle) narrows the current path near the wafer's
edge: it spans ``shield_radius`` <= r <= cell_radius at shield_height <= z <=
shield_height + shield_thickness.

Cells are ``element_size`` along the cathode, a tenth of it at the rim (the terminal
effect and, with a cell wider than the wafer, the edge's primary singularity concentrate
the current there), graded into the bulk to an eighth of the smaller of height and cell
radius.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import gmsh
from pydantic import Field, model_validator

from .base import UM_PER_M, GeometryModel, add_physical, bounding_box, graded_size, isclose
from .units import Length


class WaferCell(GeometryModel):
    type: Literal["wafer_cell"]
    dimension: Literal[2] = 2
    radius: Length = Field(gt=0, description="wafer radius a (the cathode)")
    height: Length = Field(gt=0, description="anode-to-wafer distance")
    cell_radius: Length | None = Field(None, gt=0, description="insulating wall radius (default: radius)")
    anode_radius: Length | None = Field(None, gt=0, description="anode radius (default: cell_radius)")
    shield_radius: Length | None = Field(None, gt=0, description="inner radius of an insulating ring shield")
    shield_height: Length | None = Field(None, gt=0, description="height of the shield's lower face")
    shield_thickness: Length = Field(2e-3, gt=0, description="shield thickness")
    element_size: Length = Field(gt=0, description="cell size along the cathode")

    curved: ClassVar[bool] = False
    axisymmetric: ClassVar[bool] = True

    @model_validator(mode="after")
    def _consistent(self):
        if self.wall < self.radius:
            raise ValueError("cell_radius must be at least the wafer radius")
        if self.anode_r > self.wall:
            raise ValueError("anode_radius must not exceed cell_radius")
        if (self.shield_radius is None) != (self.shield_height is None):
            raise ValueError("a shield needs both shield_radius and shield_height")
        if self.shield_radius is not None:
            if self.shield_radius >= self.wall:
                raise ValueError("shield_radius must be smaller than cell_radius")
            if self.shield_height + self.shield_thickness >= self.height:
                raise ValueError("the shield (shield_height + shield_thickness) must lie below the anode")
        return self

    @property
    def wall(self) -> float:
        return self.cell_radius if self.cell_radius is not None else self.radius

    @property
    def anode_r(self) -> float:
        return self.anode_radius if self.anode_radius is not None else self.wall

    def region_names(self) -> list[str]:
        return ["electrolyte"]

    def boundary_names(self) -> list[str]:
        return ["anode", "axis", "cathode", "contact", "insulator"]

    def check(self) -> None:
        pass

    def build(self, model_name: str = "wafer_cell") -> None:
        gmsh.model.add(model_name)
        occ = gmsh.model.occ
        um = UM_PER_M
        a, H, R, ra = self.radius * um, self.height * um, self.wall * um, self.anode_r * um
        h = self.element_size * um
        scale = max(R, H)
        face = occ.addRectangle(0, 0, 0, R, H)
        if self.shield_radius is not None:
            zs, ts = self.shield_height * um, self.shield_thickness * um
            baffle = occ.addRectangle(self.shield_radius * um, zs, 0, R - self.shield_radius * um, ts)
            out, _ = occ.cut([(2, face)], [(2, baffle)])
            face = out[0][1]
        # split the bottom at the wafer's rim and the top at the anode's edge
        cuts = [occ.addPoint(a, 0, 0)] if a < R * (1 - 1e-12) else []
        if ra < R * (1 - 1e-12):
            cuts.append(occ.addPoint(ra, H, 0))
        occ.synchronize()
        if cuts:
            occ.fragment([(2, face)], [(0, p) for p in cuts])
            occ.synchronize()
        add_physical(2, [t for _, t in gmsh.model.getEntities(2)], "electrolyte", 1)
        names: dict[str, list[int]] = {}
        for _, c in gmsh.model.getEntities(1):
            names.setdefault(self._name(bounding_box(1, c), a, H, ra, scale), []).append(c)
        for k, (name, curves) in enumerate(sorted(names.items()), start=2):
            add_physical(1, curves, name, k)
        rim = [t for _, t in gmsh.model.getEntities(0)
               if isclose(gmsh.model.getValue(0, t, [])[0], a, scale)
               and isclose(gmsh.model.getValue(0, t, [])[1], 0.0, scale)]
        add_physical(0, rim, "contact", 2 + len(names))
        self._sizes(h, a, min(H, R), names["cathode"], rim)

    @staticmethod
    def _name(bb, a, H, ra, scale) -> str:
        x0, y0, x1, y1 = bb[0], bb[1], bb[3], bb[4]
        if isclose(x0, x1, scale) and isclose(x0, 0.0, scale):
            return "axis"
        if isclose(y0, y1, scale) and isclose(y0, 0.0, scale):
            return "cathode" if x1 <= a * (1 + 1e-9) else "insulator"
        if isclose(y0, y1, scale) and isclose(y0, H, scale):
            return "anode" if x1 <= ra * (1 + 1e-9) else "insulator"
        return "insulator"

    @staticmethod
    def _sizes(h: float, a: float, depth: float, cathode: list[int], rim: list[int]) -> None:
        bulk = max(h, depth / 8)
        f = gmsh.model.mesh.field
        grade = graded_size("CurvesList", cathode, 400, h, bulk, 0.0, depth)
        sharp = graded_size("PointsList", rim, 0, h / 10, bulk, h / 10, min(0.2 * a, 20 * h) + bulk)
        both = f.add("Min")
        f.setNumbers(both, "FieldsList", [grade, sharp])
        f.setAsBackgroundMesh(both)
        gmsh.option.setNumber("Mesh.MeshSizeMin", 0.0)
        gmsh.option.setNumber("Mesh.MeshSizeMax", bulk)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
