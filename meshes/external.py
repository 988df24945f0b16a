"""Bring your own mesh: any format meshio reads (Abaqus ``.inp``, ``.vtu``, Gmsh ``.msh``,
MED, XDMF, ...), regions and boundaries taken from the names the file carries (gmsh physical
names, MED groups, Abaqus element sets) or from an integer cell-data array whose ids a legend
file or the case names, loaded into gmsh as a discrete model so the rest of sprout treats it
like a built geometry. Every file ``sprout mesh --export`` writes reads back this way. Linear triangles/tetrahedra (and their facets) only: higher-order node
orderings differ between formats, and a silent permutation error would be a wrong mesh.

Coordinates in the file are multiplied by ``length_unit`` (e.g. ``"1 mm"``): a mesh file
carries no units, so the case must say what one coordinate unit is."""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Literal

import gmsh
import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import UM_PER_M, GeometryError, GeometryModel, RegionName
from .units import Length

# meshio cell type -> (gmsh element type, topological dimension)
LINEAR = {"tetra": (4, 3), "triangle": (2, 2), "line": (1, 1)}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# The validation context key under which a case's loader passes the case file's folder.
CASE_FOLDER = "case_folder"


def in_case_folder(value: str | None, info: ValidationInfo) -> str | None:
    """A file a case names, relative to the case file's folder (given as the validation
    context's ``case_folder``; without one, as written: relative to the working directory).
    The validated case then holds the absolute path, so its resolved copy runs from anywhere."""
    folder = (info.context or {}).get(CASE_FOLDER)
    if value is None or folder is None or os.path.isabs(value):
        return value
    return os.path.normpath(os.path.join(folder, value))


class ExternalMesh(GeometryModel):
    type: Literal["external"]
    path: str = Field(description="mesh file, relative to the case file's folder")
    length_unit: Length = Field(gt=0, description="length of one coordinate unit of the file, e.g. '1 mm'")
    legend: str | None = Field(None, description="JSON file with the cell_data, region_ids and boundary_ids of a "
                                                 "file without names (the regions.json that `sprout mesh --export` "
                                                 "writes), relative to the case file's folder")
    cell_data: str | None = Field(None, description="integer cell-data array holding region (and boundary) ids "
                                                    "(files without names)")
    region_ids: dict[RegionName, int] = Field(default_factory=dict, description="names of the cells' ids in cell_data")
    boundary_ids: dict[RegionName, int] = Field(default_factory=dict,
                                                description="names of the facets' ids in cell_data")
    regions: list[str] | None = Field(None, description="cell sets to use as regions (default: all non-overlapping)")

    @field_validator("path", "legend")
    @classmethod
    def _in_case_folder(cls, value: str | None, info: ValidationInfo) -> str | None:
        return in_case_folder(value, info)

    @model_validator(mode="after")
    def _one_source_of_names(self):
        if self.legend is not None and (self.cell_data is not None or self.region_ids or self.boundary_ids):
            raise ValueError("legend: give either a legend file or cell_data with region_ids/boundary_ids")
        if self.cell_data is None and (self.region_ids or self.boundary_ids):
            raise ValueError("cell_data: region_ids and boundary_ids name the values of a cell-data array; "
                             "name it in cell_data")
        return self

    curved: ClassVar[bool] = False

    @property
    def dimension(self) -> int:
        return self.data().dimension

    def data(self) -> "MeshArrays":
        ids = _legend(self.legend, _mtime(self.legend)) if self.legend else (
            self.cell_data, tuple(sorted(self.region_ids.items())), tuple(sorted(self.boundary_ids.items())))
        return _read(self.path, _mtime(self.path), *ids, tuple(self.regions) if self.regions else None)

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


def _mtime(path: str | None) -> float:
    try:
        return os.path.getmtime(path)
    except (OSError, TypeError):
        return -1.0


@lru_cache(maxsize=8)
def _legend(path: str, mtime: float) -> tuple:
    """(cell_data, region_ids, boundary_ids) from a legend file such as the regions.json that
    ``sprout mesh --export`` writes beside a mesh."""
    field = "geometry.legend"
    if mtime < 0:
        raise GeometryError(field, f"no such legend file: {path}")
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise GeometryError(field, f"{Path(path).name} is not a JSON legend: {exc}") from None
    keys = {"cell_data", "region_ids", "boundary_ids"}
    if not isinstance(raw, dict) or not isinstance(raw.get("cell_data"), str) or set(raw) - keys:
        raise GeometryError(field, f"{Path(path).name}: a legend holds cell_data (text), region_ids and "
                                   "boundary_ids (name -> whole number) and nothing else")
    ids = []
    for key in ("region_ids", "boundary_ids"):
        table = raw.get(key, {})
        if not isinstance(table, dict) or not all(
                isinstance(n, str) and _NAME.match(n) and isinstance(v, int) and not isinstance(v, bool)
                for n, v in table.items()):
            raise GeometryError(field, f"{Path(path).name}: {key} maps lower-case names to whole numbers")
        ids.append(tuple(sorted(table.items())))
    return (raw["cell_data"], *ids)


@lru_cache(maxsize=8)
def _read(path: str, mtime: float, cell_data: str | None, region_ids: tuple, boundary_ids: tuple,
          regions: tuple | None) -> MeshArrays:
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

    if cell_data is not None:
        sets = _sets_from_ids(mesh, path, cell_data, dict(region_ids), dict(boundary_ids), top, facet)
    else:
        sets = _named_sets(mesh, dimension)
    region_conn: dict[str, np.ndarray] = {}
    boundary_conn: dict[str, np.ndarray] = {}
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
        raise GeometryError(field, f"{path} names no regions: give cell sets in the file, or the legend written "
                                   "beside it (legend = 'regions.json'), or cell_data and region_ids in the case")
    n_cells = sum(len(b.data) for b in mesh.cells if b.type == top)
    tagged = sum(len(c) for c in region_conn.values())
    unique = len(np.unique(np.vstack([np.sort(c, axis=1) for c in region_conn.values()]), axis=0))
    if tagged != unique:
        raise GeometryError("geometry.regions", "cell sets overlap: list the ones that partition the mesh "
                                                "under geometry.regions")
    if tagged != n_cells:
        raise GeometryError("geometry.regions", f"{n_cells - tagged} of {n_cells} cells belong to no region")
    bad = [n for n in list(region_conn) + list(boundary_conn) if not _NAME.match(n)]
    if bad:
        raise GeometryError(field, f"region/boundary name {bad[0]!r} in {path} is not lower-case letters, digits "
                                   "and underscores (rename it in the file or use cell_data + region_ids)")
    return MeshArrays(points, dimension, region_conn, boundary_conn)


_CELL_DIM = {"vertex": 0, "line": 1, "triangle": 2, "tetra": 3}


def _named_sets(mesh, dimension: int) -> dict[str, list[np.ndarray]]:
    """Name -> indices of its cells in every block, from the names the file carries: gmsh's
    physical names (any MSH version), MED groups (families), or cell sets (Abaqus ELSETs)."""
    blocks = list(mesh.cells)
    if "gmsh:physical" in mesh.cell_data and mesh.field_data:
        tags = mesh.cell_data["gmsh:physical"]
        return {name: [np.flatnonzero(np.asarray(t) == int(tag)) if _CELL_DIM.get(b.type) == int(dim)
                       else np.zeros(0, int) for b, t in zip(blocks, tags)]
                for name, (tag, dim) in ((n, v[:2]) for n, v in mesh.field_data.items())
                if int(dim) in (dimension, dimension - 1)}
    families = getattr(mesh, "cell_tags", None)
    if families and "cell_tags" in mesh.cell_data:
        sets: dict[str, list[np.ndarray]] = {}
        for number, names in families.items():
            for name in names:
                per_block = sets.setdefault(name, [np.zeros(0, int)] * len(blocks))
                for i, t in enumerate(mesh.cell_data["cell_tags"]):
                    per_block[i] = np.union1d(per_block[i], np.flatnonzero(np.asarray(t) == number))
        return sets
    return {k: v for k, v in mesh.cell_sets.items() if not k.startswith("gmsh:")}


def _sets_from_ids(mesh, path: str, cell_data: str, region_ids: dict, boundary_ids: dict, top: str,
                   facet: str) -> dict[str, list[np.ndarray]]:
    """Name -> indices per block from an integer cell-data array: ``region_ids`` name the
    values on cells, ``boundary_ids`` those on facets (facets are left out without them)."""
    if cell_data not in mesh.cell_data:
        raise GeometryError("geometry.cell_data", f"{path} has no cell-data array {cell_data!r} "
                                                  f"(it has: {', '.join(mesh.cell_data) or 'none'})")
    sets: dict[str, list[np.ndarray]] = {}
    for i, b in enumerate(mesh.cells):
        if b.type == top:
            names, key = {v: k for k, v in region_ids.items()}, "region_ids"
        elif b.type == facet and boundary_ids:
            names, key = {v: k for k, v in boundary_ids.items()}, "boundary_ids"
        else:
            continue
        ids = np.asarray(mesh.cell_data[cell_data][i]).ravel().astype(int)
        for value in np.unique(ids):
            if value not in names:
                what = "cell" if key == "region_ids" else "facet"
                raise GeometryError(f"geometry.{key}", f"{cell_data} value {value} on a {what} has no name")
            sets.setdefault(names[value], [np.zeros(0, int)] * len(mesh.cells))[i] = np.flatnonzero(ids == value)
    return sets
