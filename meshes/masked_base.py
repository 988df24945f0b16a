"""The copper base under the insulating film with its holes: the start of the etch (process B).

Stack (z up, base bottom at z = 0): ``base`` 0 .. base_thickness, ``film`` above it with
holes of radius ``film.hole_radius`` at the film/base interface, walls tapered outward.
The base's exposed top inside the holes is the boundary ``opening``; the film/base
interface is ``mask``. The etch solver reads the opening from the mesh, so the etch sees
exactly the film the geometry has: only the opening at the interface matters, not the
taper, and a different film means a different opening.

The base is refined within ``etch_zone`` of the openings (where the front will pass) to
``front_element_size``; the rest is graded to ``element_size``. ``dimension = 2`` is the
axisymmetric single hole in a cell of radius ``margin`` (default pitch/2).

With ``liquid_height`` the etchant is meshed too (the 3D mixed-control etch): region
``liquid`` fills the holes and a layer of that height above the film, whose top is
``bulk``; the liquid meets the base at ``opening`` and the film at ``film_surface``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import gmsh
import numpy as np
from pydantic import Field, model_validator

from .assembly import VOID, Assembly, frustum, lateral_face, slab
from .base import UM_PER_M, GeometryError, GeometryModel, isclose
from .substrate import Film, HoleArray
from .units import Length


class MaskedBase(HoleArray, GeometryModel):
    type: Literal["masked_base"]
    dimension: Literal[2, 3] = 3
    holes: tuple[int, int] = (1, 1)
    pitch: Length = Field(gt=0)
    margin: Length | None = Field(None, gt=0, description="outer hole centres to the model edge (default pitch/2)")
    base_thickness: Length = Field(gt=0)
    film: Film
    etch_zone: Length = Field(gt=0, description="refine the base within this distance of the openings")
    front_element_size: Length = Field(gt=0, description="element size within the etch zone")
    element_size: Length = Field(gt=0)
    symmetry: Literal["none", "half", "quarter"] = "none"
    liquid_height: Length | None = Field(None, gt=0, description="mesh the etchant: the holes and a layer this high")

    curved: ClassVar[bool] = False  # straight-sided cells: the arrival time is interpolated on vertices

    @model_validator(mode="after")
    def _consistent(self):
        if min(self.holes) < 1 or max(self.holes) > 30:
            raise ValueError("holes must be between 1 and 30 in each direction")
        if self.dimension == 2 and (self.symmetry != "none" or tuple(self.holes) != (1, 1)):
            raise ValueError("the axisymmetric model (dimension = 2) is one hole with symmetry = 'none'")
        return self

    def region_names(self) -> list[str]:
        return ["base", "film"] + (["liquid"] if self.liquid_height else [])

    def boundary_names(self) -> list[str]:
        names = ["bottom", "side", "opening", "mask"]
        names += ["bulk", "film_surface"] if self.liquid_height else ["top"]
        if self.dimension == 2:
            names.append("axis")
        return names + {"none": [], "half": ["sym_x"], "quarter": ["sym_x", "sym_y"]}[self.symmetry]

    @property
    def interface_z(self) -> float:
        """Height of the film/base interface (m)."""
        return self.base_thickness

    def check(self) -> None:
        um = UM_PER_M
        R, zone = self.film.hole_radius, self.etch_zone
        if zone >= self.base_thickness:
            raise GeometryError("geometry.etch_zone",
                                f"{zone * um:.4g} um reaches through the {self.base_thickness * um:.4g} um base")
        if R + zone >= self.edge:
            raise GeometryError("geometry.etch_zone",
                                f"the etch zone (radius {(R + zone) * um:.4g} um at the film) reaches the edge of the "
                                f"modelled area ({self.edge * um:.4g} um from the hole centre; see geometry.margin)")
        limit = self.edge if tuple(self.holes) == (1, 1) else min(self.pitch / 2, self.edge)
        if self.film.top_radius >= limit:
            raise GeometryError("geometry.film.taper",
                                f"the holes open to radius {self.film.top_radius * um:.4g} um at the film top and "
                                f"overlap (pitch {self.pitch * um:.4g} um)")
        if self.front_element_size > self.element_size:
            raise GeometryError("geometry.front_element_size", "must not exceed geometry.element_size")

    def build(self, model_name: str = "masked_base") -> None:
        gmsh.model.add(model_name)
        dim, um = self.dimension, UM_PER_M
        asm = Assembly(dim, self.region_names())
        ex, ey = self.extent()
        zi = self.base_thickness * um
        zf = zi + self.film.thickness * um
        R, Rt = self.film.hole_radius * um, self.film.top_radius * um
        zl = zf + (self.liquid_height or 0.0) * um
        if self.symmetry != "none":
            asm.clip_to([ex / 2, ey / 2 if self.symmetry == "quarter" else -1.0, -1.0], [ex + 1, ey + 1, zl + 1])

        def box(z0, z1):
            return slab((0.0, 0.0, z0), (ex, ey, z1), 3) if dim == 3 else slab((0.0, z0), (ex, z1), 2)

        asm.add(box(0.0, zi), "base", 10)
        asm.add(box(zi, zf), "film", 20)
        hole = "liquid" if self.liquid_height else VOID
        for x, y in self.hole_centres():
            asm.add(frustum(x, y, zi, zf, R, Rt, dim), hole, 100)
        if self.liquid_height:
            asm.add(box(zf, zl), "liquid", 30)
        asm.fragment()
        scale = max(ex, ey, zl)
        between = {("base", "film"): "mask", ("base", "liquid"): "opening", ("film", "liquid"): "film_surface"}

        def exterior(bb, region):
            k = dim - 1
            flat_z = isclose(bb[k], bb[k + 3], scale)
            if flat_z and isclose(bb[k], 0.0, scale):
                return "bottom"
            if region == "base" and flat_z and isclose(bb[k], zi, scale):
                return "opening"
            return lateral_face(bb, dim, (ex, ey), self.symmetry, scale) or ("bulk" if region == "liquid" else "top")

        faces = asm.boundaries(exterior, lambda a, b: between[(a, b)])
        asm.add_physical_groups(faces)
        h = self.element_size * um
        asm.set_sizes({"film": min(h, 2.5 * self.film.thickness * um), "base": h, "liquid": h}, h)
        self._refine_etch_zone(faces["opening"])

    def _refine_etch_zone(self, opening: list[int]) -> None:
        """Size ``front_element_size`` within the etch zone of the openings (plus one coarse
        element, so the front never reaches the graded cells), growing to ``element_size``."""
        um = UM_PER_M
        hf, h, zone = self.front_element_size * um, self.element_size * um, self.etch_zone * um
        f = gmsh.model.mesh.field
        dist = f.add("Distance")
        f.setNumbers(dist, "SurfacesList" if self.dimension == 3 else "CurvesList", opening)
        f.setNumber(dist, "Sampling", max(20, int(4 * np.pi * self.film.hole_radius * um / hf)))
        thr = f.add("Threshold")
        f.setNumber(thr, "InField", dist)
        f.setNumber(thr, "SizeMin", hf)
        f.setNumber(thr, "SizeMax", h)
        f.setNumber(thr, "DistMin", zone + h)
        f.setNumber(thr, "DistMax", zone + 4 * h)
        f.setAsBackgroundMesh(thr)
