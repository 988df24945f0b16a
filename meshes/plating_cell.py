"""Plating cells with closed-form current distributions (VALIDATION.md electroplating 1-3),
2D: the electrolyte is the region ``electrolyte``; the boundaries are ``cathode``,
``anode``, ``insulator`` (and ``axis`` for the axisymmetric disk).

``shape``:
- ``disk``: axisymmetric (x = r, y = z); a disk cathode of radius r0 in an insulating
  plane, the counter electrode a hemisphere of radius ``far`` (Newman's disk as far -> inf).
  The mesh grades from ``element_size`` at the cathode to ``far / 10`` at the anode.
- ``coaxial``: a quarter annulus (plane; the per-unit-length problem of concentric
  cylinders), cathode inside at r_i, anode outside at r_o, symmetry cuts insulating.
- ``plates``: parallel plates a gap apart (cathode at y = 0, anode at y = gap), width
  ``width``, insulating sides.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import gmsh
from pydantic import Field, model_validator

from .base import UM_PER_M, GeometryModel, add_physical, bounding_box, isclose
from .units import Length


class PlatingCell(GeometryModel):
    type: Literal["plating_cell"]
    dimension: Literal[2] = 2
    shape: Literal["disk", "coaxial", "plates"]
    radius: Length | None = Field(None, gt=0, description="disk: electrode radius r0; coaxial: inner radius r_i")
    far: Length | None = Field(None, gt=0, description="disk: counter hemisphere radius; coaxial: outer radius")
    gap: Length | None = Field(None, gt=0, description="plates: electrode spacing")
    width: Length | None = Field(None, gt=0, description="plates: electrode width")
    element_size: Length = Field(gt=0)

    curved: ClassVar[bool] = True

    @model_validator(mode="after")
    def _consistent(self):
        need = {"disk": ("radius", "far"), "coaxial": ("radius", "far"), "plates": ("gap", "width")}[self.shape]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"shape = {self.shape!r} needs {', '.join(missing)}")
        if self.shape in ("disk", "coaxial") and self.far <= self.radius:
            raise ValueError("far must exceed radius")
        return self

    @property
    def axisymmetric(self) -> bool:
        return self.shape == "disk"

    def region_names(self) -> list[str]:
        return ["electrolyte"]

    def boundary_names(self) -> list[str]:
        names = ["cathode", "anode", "insulator"]
        return names + (["axis"] if self.shape == "disk" else [])

    def check(self) -> None:
        pass

    def build(self, model_name: str = "plating_cell") -> None:
        gmsh.model.add(model_name)
        occ = gmsh.model.occ
        um = UM_PER_M
        h = self.element_size * um
        if self.shape == "plates":
            w, g = self.width * um, self.gap * um
            face = occ.addRectangle(0, 0, 0, w, g)
            scale = max(w, g)
        else:
            a, b = self.radius * um, self.far * um
            if self.shape == "disk":
                # the quarter disk of radius b; the cathode is the segment 0 <= r <= a of y = 0
                disk = occ.addDisk(0, 0, 0, b, b)
                box = occ.addRectangle(0, 0, 0, b, b)
                out, _ = occ.intersect([(2, disk)], [(2, box)])
                face = out[0][1]
                pt = occ.addPoint(a, 0, 0)
                occ.synchronize()
                occ.fragment([(2, face)], [(0, pt)])
            else:
                outer = occ.addDisk(0, 0, 0, b, b)
                inner = occ.addDisk(0, 0, 0, a, a)
                ring, _ = occ.cut([(2, outer)], [(2, inner)])
                box = occ.addRectangle(0, 0, 0, b, b)
                out, _ = occ.intersect(ring, [(2, box)])
                face = out[0][1]
            scale = b
        occ.synchronize()
        faces = gmsh.model.getEntities(2)
        add_physical(2, [t for _, t in faces], "electrolyte", 1)
        names: dict[str, list[int]] = {}
        for _, c in gmsh.model.getEntities(1):
            names.setdefault(self._name(bounding_box(1, c), scale), []).append(c)
        for k, (name, curves) in enumerate(sorted(names.items()), start=2):
            add_physical(1, curves, name, k)
        self._sizes(h, scale, names.get("cathode", []))

    def _name(self, bb, scale) -> str:
        um = UM_PER_M
        x0, y0, x1, y1 = bb[0], bb[1], bb[3], bb[4]
        if self.shape == "plates":
            if isclose(y0, y1, scale):
                return "cathode" if isclose(y0, 0.0, scale) else "anode"
            return "insulator"
        a = self.radius * um
        if self.shape == "disk":
            if isclose(x0, x1, scale) and isclose(x0, 0.0, scale):
                return "axis"
            if isclose(y0, y1, scale) and isclose(y0, 0.0, scale):
                return "cathode" if x1 <= a * (1 + 1e-9) else "insulator"
            return "anode"
        # coaxial quarter annulus: arcs are electrodes, straight cuts insulate
        if isclose(x0, x1, scale) or isclose(y0, y1, scale):
            return "insulator"
        return "cathode" if max(x1, y1) <= a * (1 + 1e-9) else "anode"

    def _sizes(self, h: float, scale: float, cathode: list[int]) -> None:
        gmsh.option.setNumber("Mesh.MeshSizeMin", 0.0)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 24)
        if self.shape != "disk":
            gmsh.option.setNumber("Mesh.MeshSizeMax", h)
            return
        # Fine along the electrode and finer at its edge (where the primary current is
        # singular), graded to the far counter electrode.
        a = self.radius * UM_PER_M
        f = gmsh.model.mesh.field
        along = f.add("Distance")
        f.setNumbers(along, "CurvesList", cathode)
        f.setNumber(along, "Sampling", 200)
        grade = f.add("Threshold")
        f.setNumber(grade, "InField", along)
        f.setNumber(grade, "SizeMin", h)
        f.setNumber(grade, "SizeMax", scale / 10)
        f.setNumber(grade, "DistMin", 0.0)
        f.setNumber(grade, "DistMax", scale)
        edge = f.add("Distance")
        f.setNumbers(edge, "PointsList", [t for _, t in gmsh.model.getEntities(0)
                                          if abs(gmsh.model.getValue(0, t, [])[0] - a) < 1e-9 * scale])
        sharp = f.add("Threshold")
        f.setNumber(sharp, "InField", edge)
        f.setNumber(sharp, "SizeMin", h / 20)
        f.setNumber(sharp, "SizeMax", scale / 10)
        f.setNumber(sharp, "DistMin", h / 10)
        f.setNumber(sharp, "DistMax", 20 * h)
        both = f.add("Min")
        f.setNumbers(both, "FieldsList", [grade, sharp])
        f.setAsBackgroundMesh(both)
        gmsh.option.setNumber("Mesh.MeshSizeMax", scale / 10)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
