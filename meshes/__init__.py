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
    to_si_mesh,
)
from .budget import MAX_CELLS, check_budget, check_sizes, check_spec_budget
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
    "check_spec_budget",
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
    check_spec_budget(spec, max_cells)
    clash = set(spec.region_names()) & set(spec.boundary_names())
    if clash:
        raise GeometryError("geometry", f"region and boundary names must differ: {', '.join(sorted(clash))}")
    spec.build(spec.type)
    if spec.type != "external":  # an external mesh arrives meshed
        check_budget(spec, max_cells)
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
