"""A stack of flat layers: the bimetal strip, a film on a wafer, a resin layer on a wafer.

2D: a rectangle ``[0, length] x [0, sum(thickness)]``; as an axisymmetric model, x is the
radius and x = 0 the axis. 3D: a box ``[0, length] x [0, width] x [0, sum(thickness)]``.
The mesh is structured (transfinite): thin layers get their own element count through the
thickness instead of forcing the in-plane size down, and the element count is exact:
2 * nx * sum(n_i) triangles in 2D, 6 * nx * ny * sum(n_i) tetrahedra in 3D.

Physical groups: one region per distinct layer ``region`` name; boundaries ``bottom``,
``top``, ``left`` (x = 0), ``right`` (x = length), in 3D also ``front`` (y = 0) and
``back`` (y = width); ``interface_<below>_<above>`` between layers of different regions.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import gmsh
from pydantic import Field, model_validator

from .base import UM_PER_M, GeometryError, GeometryModel, RegionName, add_physical, bounding_box, isclose
from .units import Length


class Layer(GeometryModel):
    region: RegionName = Field(description="region (physical group) name of this layer")
    thickness: Length = Field(gt=0)
    elements_through_thickness: int = Field(2, ge=1, le=200)


class LayeredPlate(GeometryModel):
    """Layers listed bottom to top."""

    type: Literal["layered_plate"]
    dimension: Literal[2, 3] = 2
    length: Length = Field(gt=0, description="x extent; the radius of an axisymmetric model")
    width: Length | None = Field(None, gt=0, description="y extent (3D only)")
    layers: list[Layer] = Field(min_length=1)
    element_size: Length = Field(gt=0, description="in-plane element size")

    @model_validator(mode="after")
    def _width_only_in_3d(self):
        if self.dimension == 3 and self.width is None:
            raise ValueError("width is required when dimension = 3")
        if self.dimension == 2 and self.width is not None:
            raise ValueError("width applies to dimension = 3 only")
        return self

    # -- Geometry protocol -------------------------------------------------------------
    curved: ClassVar[bool] = False  # straight edges only: affine elements represent it exactly

    def region_names(self) -> list[str]:
        return list(dict.fromkeys(layer.region for layer in self.layers))

    def boundary_names(self) -> list[str]:
        names = ["bottom", "top", "left", "right"]
        if self.dimension == 3:
            names += ["front", "back"]
        return names + list(dict.fromkeys(self._interfaces().values()))

    def check(self) -> None:
        # one element across the plate cannot bend it (a 30 mm slip for 0.3 mm on a 20 mm
        # strip meshed 16 cells and reported zero curvature); two is the least that can
        for name, extent in (("length", self.length), ("width", self.width if self.dimension == 3 else None)):
            if extent is not None and extent / self.element_size < 2 - 1e-9:
                raise GeometryError("geometry.element_size", f"{self.element_size * 1e3:.4g} mm leaves fewer than 2 "
                                    f"elements along the {extent * 1e3:.4g} mm {name}; the plate is not resolved")
        n_in_plane = self._divisions(self.length)
        if self.dimension == 3:
            n_in_plane *= self._divisions(self.width)
        n_cells = n_in_plane * sum(layer.elements_through_thickness for layer in self.layers)
        n_cells *= 2 if self.dimension == 2 else 6
        if n_cells > 50_000_000:
            raise GeometryError(
                "geometry.element_size",
                f"gives {n_cells:.3g} cells, above the 5e7 this builder accepts; use a larger element_size",
            )

    def least_cells(self) -> float:
        """The cell count (structured: exact), for the budget before any build."""
        return float(self.expected_cells())

    def expected_cells(self) -> int:
        n = self._divisions(self.length) * sum(layer.elements_through_thickness for layer in self.layers)
        if self.dimension == 3:
            return 6 * n * self._divisions(self.width)
        return 2 * n

    def build(self, model_name: str = "layered_plate") -> None:
        gmsh.model.add(model_name)
        occ = gmsh.model.occ
        um = UM_PER_M
        tops = [z * um for z in self._layer_tops()]
        bottoms = [0.0] + tops[:-1]
        length, width = self.length * um, (self.width or 0.0) * um
        tags = []
        for z0, z1 in zip(bottoms, tops):
            if self.dimension == 2:
                tags.append((2, occ.addRectangle(0.0, z0, 0.0, length, z1 - z0)))
            else:
                tags.append((3, occ.addBox(0.0, 0.0, z0, length, width, z1 - z0)))
        occ.fragment(tags[:1], tags[1:]) if len(tags) > 1 else None
        occ.synchronize()

        dim = self.dimension
        height = tops[-1]
        scale = max(length, height, width)
        zaxis = dim - 1  # thickness direction: y in 2D, z in 3D

        # Regions: identify each cell entity by the layer its centre lies in.
        region_entities: dict[str, list[int]] = {}
        for _, tag in gmsh.model.getEntities(dim):
            box = bounding_box(dim, tag)
            zc = 0.5 * (box[zaxis] + box[zaxis + 3])
            i = next(i for i, (a, b) in enumerate(zip(bottoms, tops)) if a < zc < b)
            region_entities.setdefault(self.layers[i].region, []).append(tag)

        # Boundaries and interfaces by position.
        faces: dict[str, list[int]] = {}
        interfaces = self._interfaces()
        for _, tag in gmsh.model.getEntities(dim - 1):
            box = bounding_box(dim - 1, tag)
            lo, hi = box[:3], box[3:]
            flat = [isclose(lo[k], hi[k], scale) for k in range(3)]
            if flat[zaxis]:
                z = lo[zaxis]
                if isclose(z, 0.0, scale):
                    faces.setdefault("bottom", []).append(tag)
                elif isclose(z, height, scale):
                    faces.setdefault("top", []).append(tag)
                else:
                    i = min(range(len(tops) - 1), key=lambda j: abs(tops[j] - z))
                    if i in interfaces:
                        faces.setdefault(interfaces[i], []).append(tag)
            elif flat[0]:
                side = "left" if isclose(lo[0], 0.0, scale) else "right"
                faces.setdefault(side, []).append(tag)
            elif dim == 3 and flat[1]:
                side = "front" if isclose(lo[1], 0.0, scale) else "back"
                faces.setdefault(side, []).append(tag)

        tag = 1
        for name in self.region_names():
            add_physical(dim, region_entities[name], name, tag)
            tag += 1
        for name in self.boundary_names():
            add_physical(dim - 1, faces.get(name, []), name, tag)
            tag += 1

        self._make_structured(bottoms, tops, scale)

    # -- helpers -----------------------------------------------------------------------
    def _divisions(self, extent: float) -> int:
        return max(1, math.ceil(extent / self.element_size - 1e-9))

    def _layer_tops(self) -> list[float]:
        tops, z = [], 0.0
        for layer in self.layers:
            z += layer.thickness
            tops.append(z)
        return tops

    def _interfaces(self) -> dict[int, str]:
        """Interface index i (between layer i and i+1) -> name, for differing regions."""
        out = {}
        for i in range(len(self.layers) - 1):
            below, above = self.layers[i].region, self.layers[i + 1].region
            if below != above:
                out[i] = f"interface_{below}_{above}"
        return out

    def _make_structured(self, bottoms, tops, scale) -> None:
        dim = self.dimension
        zaxis = dim - 1
        nx = self._divisions(self.length)
        ny = self._divisions(self.width) if dim == 3 else 0
        for _, c in gmsh.model.getEntities(1):
            lo_hi = bounding_box(1, c)
            extent = [lo_hi[k + 3] - lo_hi[k] for k in range(3)]
            axis = max(range(3), key=lambda k: extent[k])
            if axis == zaxis:
                zc = 0.5 * (lo_hi[zaxis] + lo_hi[zaxis + 3])
                i = next(i for i, (a, b) in enumerate(zip(bottoms, tops)) if a < zc < b)
                n = self.layers[i].elements_through_thickness
            else:
                n = nx if axis == 0 else ny
            gmsh.model.mesh.setTransfiniteCurve(c, n + 1)
        for _, s in gmsh.model.getEntities(2):
            gmsh.model.mesh.setTransfiniteSurface(s, "Alternate" if dim == 2 else "Left")
        if dim == 3:
            for _, v in gmsh.model.getEntities(3):
                gmsh.model.mesh.setTransfiniteVolume(v)
