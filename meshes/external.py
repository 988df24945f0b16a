"""Bring your own mesh: any format meshio reads (Abaqus ``.inp``, ``.vtu``, Gmsh ``.msh``,
...), regions taken from its named cell sets (or an integer cell-data array with names given
in the case), loaded into gmsh as a discrete model so the rest of sprout treats it like a
built geometry. Linear triangles/tetrahedra (and their facets) only: higher-order node
orderings differ between formats, and a silent permutation error would be a wrong mesh.

Coordinates in the file are multiplied by ``length_unit`` (e.g. ``"1 mm"``): a mesh file
carries no units, so the case must say what one coordinate unit is."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Literal

import gmsh
import numpy as np
from pydantic import Field

from .base import UM_PER_M, GeometryError, GeometryModel, RegionName
from .units import Length

# meshio cell type -> (gmsh element type, topological dimension)
LINEAR = {"tetra": (4, 3), "triangle": (2, 2), "line": (1, 1)}


class ExternalMesh(GeometryModel):
    type: Literal["external"]
    path: str = Field(description="mesh file, relative to the working directory")
    length_unit: Length = Field(gt=0, description="length of one coordinate unit of the file, e.g. '1 mm'")
    cell_data: str | None = Field(None, description="integer cell-data array holding region ids (files without names)")
    region_ids: dict[RegionName, int] = Field(default_factory=dict, description="names of the ids in cell_data")
    regions: list[str] | None = Field(None, description="cell sets to use as regions (default: all non-overlapping)")

    curved: ClassVar[bool] = False

    @property
    def dimension(self) -> int:
        return _read(self.path, _mtime(self.path), self.cell_data, tuple(sorted(self.region_ids.items())),
                     tuple(self.regions) if self.regions else None).dimension

    def data(self) -> "MeshArrays":
        return _read(self.path, _mtime(self.path), self.cell_data, tuple(sorted(self.region_ids.items())),
                     tuple(self.regions) if self.regions else None)

    def region_names(self) -> list[str]:
        return list(self.data().regions)

    def boundary_names(self) -> list[str]:
        return list(self.data().boundaries)

    def check(self) -> None:
        self.data()

    def build(self, model_name: str = "external") -> None:
        """Load the file into gmsh as discrete entities (micrometres, like the builders)."""
        d = self.data()
        gmsh.model.add(model_name)
        x_um = d.points * self.length_unit * UM_PER_M
        tag = 1
        node_tags = np.arange(1, len(x_um) + 1)
        first = True
        elem_tag = 1
        groups = []
        for dim, named in ((d.dimension, d.regions), (d.dimension - 1, d.boundaries)):
            gtype = {3: 4, 2: 2, 1: 1}[dim]
            for name, conn in named.items():
                gmsh.model.addDiscreteEntity(dim, tag)
                if first:
                    gmsh.model.mesh.addNodes(dim, tag, node_tags, x_um.ravel())
                    first = False
                n = len(conn)
                gmsh.model.mesh.addElementsByType(tag, gtype, np.arange(elem_tag, elem_tag + n),
                                                  (conn + 1).ravel())
                elem_tag += n
                groups.append((dim, tag, name))
                tag += 1
        for k, (dim, ent, name) in enumerate(groups, start=1):
            gmsh.model.addPhysicalGroup(dim, [ent], tag=k, name=name)


class MeshArrays:
    def __init__(self, points, dimension, regions, boundaries):
        self.points = points  # (n, 3) in file units
        self.dimension = dimension
        self.regions = regions  # name -> (m, dim+1) node indices
        self.boundaries = boundaries  # name -> (k, dim) node indices


def _mtime(path: str) -> float:
    try:
        return os.path.getmtime(path)
    except OSError:
        return -1.0


@lru_cache(maxsize=8)
def _read(path: str, mtime: float, cell_data: str | None, region_ids: tuple, regions: tuple | None) -> MeshArrays:
    import meshio

    field = "geometry.path"
    if mtime < 0:
        raise GeometryError(field, f"no such mesh file: {path}")
    try:
        mesh = meshio.read(path)
    except Exception as exc:  # meshio raises many types for unreadable files
        raise GeometryError(field, f"meshio cannot read {Path(path).name}: {exc}") from None
    kinds = {b.type for b in mesh.cells}
    unsupported = kinds - set(LINEAR) - {"vertex"}
    if unsupported:
        raise GeometryError(field, f"unsupported cell types {sorted(unsupported)}: linear triangles/tetrahedra "
                                   "only (convert higher-order meshes to order 1)")
    dimension = 3 if "tetra" in kinds else 2
    top = "tetra" if dimension == 3 else "triangle"
    facet = "triangle" if dimension == 3 else "line"
    points = np.asarray(mesh.points, dtype=float)
    if points.shape[1] == 2:
        points = np.column_stack([points, np.zeros(len(points))])

    def blocks(kind):
        return [i for i, b in enumerate(mesh.cells) if b.type == kind]

    region_conn: dict[str, np.ndarray] = {}
    boundary_conn: dict[str, np.ndarray] = {}
    if cell_data is not None:
        if cell_data not in mesh.cell_data:
            raise GeometryError("geometry.cell_data", f"{path} has no cell-data array {cell_data!r} "
                                                      f"(it has: {', '.join(mesh.cell_data) or 'none'})")
        names = {v: k for k, v in dict(region_ids).items()}
        for i in blocks(top):
            ids = np.asarray(mesh.cell_data[cell_data][i]).astype(int)
            for value in np.unique(ids):
                if value not in names:
                    raise GeometryError("geometry.region_ids", f"cell-data value {value} has no name")
                name = names[value]
                region_conn[name] = np.vstack([region_conn.get(name, np.zeros((0, dimension + 1), int)),
                                               mesh.cells[i].data[ids == value]])
    else:
        sets = {k: v for k, v in mesh.cell_sets.items() if not k.startswith("gmsh:")}
        for name, per_block in sets.items():
            for i, idx in enumerate(per_block):
                if idx is None or len(idx) == 0:
                    continue
                b = mesh.cells[i]
                target = region_conn if b.type == top else boundary_conn if b.type == facet else None
                if target is None:
                    continue
                target[name] = np.vstack([target.get(name, np.zeros((0, b.data.shape[1]), int)), b.data[idx]])
        if regions is not None:
            missing = [r for r in regions if r not in region_conn]
            if missing:
                raise GeometryError("geometry.regions", f"no cell set {missing[0]!r} in {path} "
                                                        f"(it has: {', '.join(region_conn)})")
            region_conn = {r: region_conn[r] for r in regions}
    if not region_conn:
        raise GeometryError(field, f"{path} names no regions: give cell sets in the file, or cell_data and "
                                   "region_ids in the case")
    n_cells = sum(len(b.data) for b in mesh.cells if b.type == top)
    tagged = sum(len(c) for c in region_conn.values())
    unique = len(np.unique(np.vstack([np.sort(c, axis=1) for c in region_conn.values()]), axis=0))
    if tagged != unique:
        raise GeometryError("geometry.regions", "cell sets overlap: list the ones that partition the mesh "
                                                "under geometry.regions")
    if tagged != n_cells:
        raise GeometryError("geometry.regions", f"{n_cells - tagged} of {n_cells} cells belong to no region")
    import re

    bad = [n for n in list(region_conn) + list(boundary_conn) if not re.match(r"^[a-z][a-z0-9_]*$", n)]
    if bad:
        raise GeometryError(field, f"region/boundary name {bad[0]!r} in {path} is not lower-case letters, digits "
                                   "and underscores (rename it in the file or use cell_data + region_ids)")
    return MeshArrays(points, dimension, region_conn, boundary_conn)
