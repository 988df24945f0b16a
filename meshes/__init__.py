"""sprout.meshes: parametric gmsh geometry builders. Never imports dolfinx.

The contract with the solver is a gmsh model (or ``.msh`` file) whose physical groups carry
names: regions (cells) such as ``die``, ``resin``, ``bump``; boundaries (facets) such as
``bottom``, ``interface_si_resin``, ``sym_x``. The solver looks regions up by name.
"""

from __future__ import annotations

from typing import Annotated, Union

import gmsh
from pydantic import Field

from .base import (
    BuiltMesh,
    Geometry,
    GeometryError,
    GeometryModel,
    gmsh_session,
    set_meshing,
    summarize,
    UM_PER_M,
    to_si_mesh,
)
from .budget import MAX_CELLS, check_budget
from .core_shell import CoreShell
from .csp import ChipSizePackage
from .external import ExternalMesh
from .layered import Layer, LayeredPlate
from .masked_base import MaskedBase
from .plating_cell import PlatingCell
from .wafer import Wafer
from .wafer_cell import WaferCell
from .wiring_cell import WiringCell
from .substrate import BumpedSubstrate

GeometrySpec = Annotated[
    Union[LayeredPlate, CoreShell, ChipSizePackage, BumpedSubstrate, MaskedBase, PlatingCell, Wafer,
          WaferCell, WiringCell, ExternalMesh],
    Field(discriminator="type"),
]

__all__ = [
    "BuiltMesh",
    "BumpedSubstrate",
    "ChipSizePackage",
    "ExternalMesh",
    "CoreShell",
    "Geometry",
    "GeometryError",
    "GeometryModel",
    "GeometrySpec",
    "Layer",
    "LayeredPlate",
    "MaskedBase",
    "PlatingCell",
    "Wafer",
    "WaferCell",
    "build_mesh",
    "check_sizes",
    "gmsh_session",
]


def build_mesh(spec: Geometry, order: int = 1, algorithm: str = "hxt", threads: int = 1,
               max_cells: int = MAX_CELLS) -> BuiltMesh:
    """Build the geometry and its mesh into the current gmsh model (inside gmsh_session).

    ``order`` 2 gives curved (quadratic) elements on curved boundaries; ``algorithm`` and
    ``threads`` choose the 3D mesher (one thread: reproducible). Element sizes that would
    give more than ``max_cells`` cells are refused before the mesh is made. Coordinates of
    the resulting mesh are in metres."""
    set_meshing(algorithm, threads)
    spec.check()
    check_sizes(spec)
    clash = set(spec.region_names()) & set(spec.boundary_names())
    if clash:
        raise GeometryError("geometry", f"region and boundary names must differ: {', '.join(sorted(clash))}")
    spec.build(spec.type)
    if spec.type != "external":  # an external mesh arrives meshed
        check_budget(spec, max_cells, UM_PER_M)
        gmsh.model.mesh.generate(spec.dimension)
    if order > 1:
        gmsh.model.mesh.setOrder(order)
        _check_curved_cells(spec.dimension)
    to_si_mesh()
    regions = {}
    boundaries = {}
    for dim, tag in gmsh.model.getPhysicalGroups():
        name = gmsh.model.getPhysicalName(dim, tag)
        (regions if dim == spec.dimension else boundaries)[name] = tag
    return summarize(spec.dimension, regions, boundaries)


MIN_ELEMENT_SIZE = 1e-9  # m: below this gmsh falls back to its default size without a word


def check_sizes(spec, node=None, path: str = "geometry") -> None:
    """Every element size of the spec at least MIN_ELEMENT_SIZE."""
    if node is None and not hasattr(spec, "model_dump"):
        return  # an internal geometry (a liquid section), not a spec a user wrote
    node = spec.model_dump() if node is None else node
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        where = f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]"
        if isinstance(value, (dict, list)):
            check_sizes(spec, value, where)
        elif "element_size" in where and isinstance(value, float) and value < MIN_ELEMENT_SIZE:
            raise GeometryError(where, f"{value:.3g} m is below the 1 nm gmsh can mesh (it would silently use "
                                       "its default size)")


def _check_curved_cells(dim: int) -> None:
    """Quadratic cells bent to follow curved faces can fold over in thin layers; such a
    mesh gives a singular stiffness. Refuse it with a remedy instead."""
    import numpy as np

    worst = 1.0
    for _, tag in gmsh.model.getEntities(dim):
        _, elem_tags, _ = gmsh.model.mesh.getElements(dim, tag)
        for tags in elem_tags:
            if len(tags):
                worst = min(worst, float(np.min(gmsh.model.mesh.getElementQualities(tags, "minSJ"))))
    if worst <= 0.0:
        raise GeometryError("mesh.order", f"quadratic cells fold over (minimum scaled Jacobian {worst:.3g}); "
                                          "use mesh.order = 1 or a smaller element size")
