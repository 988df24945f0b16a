"""A wafer's seed film seen along a radius (1D, axisymmetric): the plating cathode fed by a
contact ring at its rim. Region ``seed``; points ``contact`` (r = radius) and ``centre``.
Cells grade from ``element_size`` at the centre to a tenth of it at the contact, where
the terminal effect concentrates the current."""

from __future__ import annotations

from typing import ClassVar, Literal

import gmsh
from pydantic import Field

from .base import UM_PER_M, GeometryModel, add_physical
from .units import Length


class Wafer(GeometryModel):
    type: Literal["wafer"]
    dimension: Literal[1] = 1
    radius: Length = Field(gt=0)
    element_size: Length = Field(gt=0)

    curved: ClassVar[bool] = False
    axisymmetric: ClassVar[bool] = True

    def region_names(self) -> list[str]:
        return ["seed"]

    def boundary_names(self) -> list[str]:
        return ["contact", "centre"]

    def check(self) -> None:
        pass

    def build(self, model_name: str = "wafer") -> None:
        gmsh.model.add(model_name)
        occ = gmsh.model.occ
        a, h = self.radius * UM_PER_M, self.element_size * UM_PER_M
        centre, rim = occ.addPoint(0, 0, 0, h), occ.addPoint(a, 0, 0, h / 10)
        line = occ.addLine(centre, rim)
        occ.synchronize()
        add_physical(1, [line], "seed", 1)
        add_physical(0, [rim], "contact", 2)
        add_physical(0, [centre], "centre", 3)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 1)
        gmsh.option.setNumber("Mesh.MeshSizeMax", h)
