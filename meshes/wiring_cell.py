"""A unit cell of a wiring pattern plated through resist openings (process A, thickening
the patterned seed), 3D.

The cell is ``cell_length`` (x) by ``cell_width`` (y). A resist of thickness
``resist_thickness`` covers the seed except for the openings: a line of width
``line_width`` along x through the whole cell (centred at y = cell_width / 2) and a round
pad of diameter ``pad_diameter`` on the line, centred at x = ``pad_x``. Above the resist
lies the electrolyte (the ohmic / diffusion layer) of height ``height``. The region is the
electrolyte (the openings and the layer above); the boundaries are

- ``cathode``: the opening floors (exposed seed, z = 0),
- ``insulator``: the resist top and the opening walls,
- ``anode``: the top (z = resist_thickness + height),
- ``symmetry``: the four sides (the pattern repeats).

``resist_thickness = 0`` removes the resist: the whole floor is the cathode (a 1D cell).
Cells grade from ``element_size`` at the cathode to ``far_element_size`` at the anode.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import gmsh
from pydantic import Field

from .base import UM_PER_M, GeometryError, GeometryModel, add_physical, bounding_box, graded_size, isclose
from .units import Length


class WiringCell(GeometryModel):
    type: Literal["wiring_cell"]
    dimension: Literal[3] = 3
    cell_length: Length = Field(gt=0, description="period along the line (x)")
    cell_width: Length = Field(gt=0, description="period across the line (y)")
    line_width: Length = Field(gt=0)
    pad_diameter: Length = Field(0.0, ge=0, description="0: the line alone")
    pad_x: Length | None = Field(None, description="pad centre along x (default: cell_length - pad_diameter)")
    resist_thickness: Length = Field(ge=0, description="0: no resist, the whole floor plates")
    height: Length = Field(gt=0, description="electrolyte (ohmic/diffusion layer) above the resist")
    element_size: Length = Field(gt=0, description="at the cathode")
    far_element_size: Length | None = Field(None, gt=0, description="at the anode (default: height / 4)")

    curved: ClassVar[bool] = True
    axisymmetric: ClassVar[bool] = False
    shape: ClassVar[str] = "3D wiring"  # as plating cells name their shape (``sprout check``)

    @property
    def pad_centre(self) -> float:
        return self.pad_x if self.pad_x is not None else self.cell_length - self.pad_diameter

    def region_names(self) -> list[str]:
        return ["electrolyte"]

    def boundary_names(self) -> list[str]:
        names = ["cathode", "anode", "symmetry"]
        return names + (["insulator"] if self.resist_thickness > 0 else [])

    def check(self) -> None:
        if self.resist_thickness == 0:
            return
        if self.line_width >= self.cell_width:
            raise GeometryError("geometry.line_width", "must be below cell_width (the resist between lines)")
        if self.pad_diameter > 0:
            r, x = self.pad_diameter / 2, self.pad_centre
            if self.pad_diameter >= self.cell_width:
                raise GeometryError("geometry.pad_diameter", "must be below cell_width")
            if x - r <= 0 or x + r >= self.cell_length:
                raise GeometryError("geometry.pad_x", "the pad must lie inside the cell (0 < x -+ D/2 < cell_length)")
            if self.pad_diameter <= self.line_width:
                raise GeometryError("geometry.pad_diameter", "must exceed line_width (or be 0)")

    def build(self, model_name: str = "wiring_cell") -> None:
        gmsh.model.add(model_name)
        occ = gmsh.model.occ
        um = UM_PER_M
        Lx, Ly = self.cell_length * um, self.cell_width * um
        tr, H = self.resist_thickness * um, self.height * um
        top = tr + H
        box = occ.addBox(0, 0, 0, Lx, Ly, top)
        if tr > 0:
            w = self.line_width * um
            resist = occ.addBox(0, 0, 0, Lx, Ly, tr)
            tools = [(3, occ.addBox(0, (Ly - w) / 2, 0, Lx, w, tr))]
            if self.pad_diameter > 0:
                tools.append((3, occ.addCylinder(self.pad_centre * um, Ly / 2, 0, 0, 0, tr,
                                                 self.pad_diameter * um / 2)))
            resist_left, _ = occ.cut([(3, resist)], tools)
            occ.cut([(3, box)], resist_left)
        occ.synchronize()
        vols = gmsh.model.getEntities(3)
        if len(vols) != 1:
            raise GeometryError("geometry", f"the electrolyte came out as {len(vols)} volumes, not one")
        add_physical(3, [vols[0][1]], "electrolyte", 1)
        scale = max(Lx, Ly, top)
        names: dict[str, list[int]] = {}
        for _, s in gmsh.model.getBoundary(vols, oriented=False):
            names.setdefault(self._name(bounding_box(2, s), Lx, Ly, top, scale), []).append(s)
        for k, name in enumerate(("cathode", "anode", "symmetry", "insulator"), start=2):
            if name in names:
                add_physical(2, names[name], name, k)
        self._sizes(names["cathode"], scale)

    @staticmethod
    def _name(bb, Lx, Ly, top, scale) -> str:
        x0, y0, z0, x1, y1, z1 = bb
        if isclose(z0, z1, scale) and isclose(z0, 0.0, scale):
            return "cathode"
        if isclose(z0, z1, scale) and isclose(z0, top, scale):
            return "anode"
        for a, b, edge in ((x0, x1, 0.0), (x0, x1, Lx), (y0, y1, 0.0), (y0, y1, Ly)):
            if isclose(a, b, scale) and isclose(a, edge, scale):
                return "symmetry"
        return "insulator"

    def _sizes(self, cathode: list[int], scale: float) -> None:
        um = UM_PER_M
        h = self.element_size * um
        far = (self.far_element_size or self.height / 4) * um
        grade = graded_size("SurfacesList", cathode, 40, h, far, 0.0, (self.resist_thickness + self.height) * um)
        gmsh.model.mesh.field.setAsBackgroundMesh(grade)
        gmsh.option.setNumber("Mesh.MeshSizeMin", 0.0)
        gmsh.option.setNumber("Mesh.MeshSizeMax", max(far, h))
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
