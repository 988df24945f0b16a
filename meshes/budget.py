"""How many cells a geometry's sizes will give at least, known before it is meshed.

No cell is much larger than the coarsest size asked for (the largest of the spec's element
sizes and of the builder's graded fields, H), so a built geometry of measure V gets at least
V / (c_d (k H)^d) cells: c_d is the measure of a regular cell of unit edge (sqrt(3)/4 for a
triangle, 1/(6 sqrt 2) for a tetrahedron), k = 1.5 allows for the longest edges gmsh
leaves. A lower bound never refuses a mesh that fits: every shipped case meshes 2.2 to a few
hundred times it (graded sizes refine well below H).

Two checks use it. Before anything is built, a geometry that knows a measure it surely
meshes (``least_cells()``: a package's die, a layered plate's exact count) is bounded from its
spec alone, in microseconds, so ``sprout check`` and ``run`` refuse a slip of units (1 um for
60 um on a package: 300 s and 2.8 GB of meshing before, without an end) before the CAD
kernel is started. After the build, every geometry is bounded from the OCC measures of all
its entities, before gmsh meshes anything."""

from __future__ import annotations

import math

import gmsh

from .base import UM_PER_M, GeometryError

MIN_ELEMENT_SIZE = 1e-9  # m: below this gmsh falls back to its default size without a word
MAX_CELLS = 2_000_000  # P2 in 3D: ~8M DOFs, beyond what a 2-core, 24 GB machine solves
_CELL_MEASURE = {1: 1.0, 2: math.sqrt(3.0) / 4.0, 3: 1.0 / (6.0 * math.sqrt(2.0))}
_LONGEST_EDGE = 1.5  # gmsh's edges reach about this times the size asked for


def element_sizes(spec) -> list[tuple[str, float]]:
    """(case-file path, metres) of every element size a spec gives; none for an internal
    geometry (a liquid section), which the solver sizes itself."""
    if not hasattr(spec, "model_dump"):
        return []
    out = []

    def walk(node, path):
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            where = f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]"
            if isinstance(value, (dict, list)):
                walk(value, where)
            elif "element_size" in where and isinstance(value, float):
                out.append((where, value))

    walk(spec.model_dump(), "geometry")
    return out


def check_sizes(spec) -> None:
    """Every element size at least MIN_ELEMENT_SIZE."""
    for where, value in element_sizes(spec):
        if value < MIN_ELEMENT_SIZE:
            raise GeometryError(where, f"{value:.3g} m is below the 1 nm gmsh can mesh (it would silently use "
                                       "its default size)")


def least_cells(dim: int, coarsest: float) -> float:
    """The lower bound for the current gmsh model (built in micrometres, not meshed)."""
    h = _LONGEST_EDGE * coarsest * UM_PER_M
    total = 0.0
    for _, tag in gmsh.model.getEntities(dim):
        try:
            measure = float(gmsh.model.occ.getMass(dim, tag))
        except Exception:  # not an OCC entity: no measure, no bound from it
            continue
        total += measure / (_CELL_MEASURE[dim] * h**dim)
    return total


def _field_sizes() -> list[float]:
    """The largest sizes of the builder's gmsh size fields (metres): graded fields grow past
    the spec's element sizes (a plating cell's far field to far / 10)."""
    f = gmsh.model.mesh.field
    out = []
    for tag in f.list():
        if f.getType(tag) == "Threshold":
            out.append(f.getNumber(tag, "SizeMax") / UM_PER_M)
    return out


def cells_in(measure: float, coarsest: float, dim: int) -> float:
    """The least number of cells of size at most ``coarsest`` (m) that fill ``measure`` (m^dim)."""
    return measure / (_CELL_MEASURE[dim] * (_LONGEST_EDGE * coarsest) ** dim)


def check_spec_budget(spec, max_cells: int) -> float:
    """The check before any build: GeometryError if the spec's own lower bound
    (``spec.least_cells()``, where the geometry has one) exceeds ``max_cells``."""
    bound = getattr(spec, "least_cells", None)
    n = bound() if bound is not None else None
    if n is not None:
        _refuse_above(n, max_cells)
    return n or 0.0


def check_budget(spec, max_cells: int) -> float:
    """The check after the build (the current gmsh model, not meshed): GeometryError if the
    lower bound from the OCC measures exceeds ``max_cells``."""
    sizes = [h for _, h in element_sizes(spec) if h > 0]
    if not sizes:
        return 0.0
    n = least_cells(spec.dimension, max(sizes + _field_sizes()))
    _refuse_above(n, max_cells)
    return n


def _refuse_above(n: float, max_cells: int) -> None:
    if n > max_cells:
        raise GeometryError("geometry.element_size", f"these element sizes give at least {n:.2g} cells, above "
                            f"the mesh.max_cells budget of {max_cells:.2g}; use larger sizes (or raise "
                            "mesh.max_cells)")
