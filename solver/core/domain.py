"""From a geometry spec to a distributed dolfinx mesh whose regions are found by name.

gmsh runs on rank 0 only; ``dolfinx.io.gmsh.model_to_mesh`` distributes the mesh. The
physical-group names travel with it, so nothing downstream depends on tag numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from mpi4py import MPI

import dolfinx
import dolfinx.io.gmsh
import dolfinx.mesh

import meshes
from meshes import BuiltMesh

from solver.core.errors import MeshingError
from solver.core.progress import slow_notice


@dataclass
class Domain:
    mesh: dolfinx.mesh.Mesh
    cell_tags: dolfinx.mesh.MeshTags
    facet_tags: dolfinx.mesh.MeshTags
    regions: dict[str, int]  # name -> cell tag
    boundaries: dict[str, int]  # name -> facet tag
    info: dict = field(default_factory=dict)

    @property
    def comm(self) -> MPI.Comm:
        return self.mesh.comm

    @property
    def gdim(self) -> int:
        return self.mesh.geometry.dim

    @property
    def tdim(self) -> int:
        return self.mesh.topology.dim

    def cells(self, region: str) -> np.ndarray:
        """Local cells (owned and ghost) of a named region."""
        return self.cell_tags.find(self.regions[region])

    def facets(self, boundary: str) -> np.ndarray:
        """Local facets of a named boundary."""
        return self.facet_tags.find(self.boundaries[boundary])

    def num_cells_global(self) -> int:
        return self.mesh.topology.index_map(self.tdim).size_global

    def extent(self) -> tuple[np.ndarray, np.ndarray]:
        """Global bounding box (lower, upper) of the mesh geometry."""
        return global_box(self.comm, self.mesh.geometry.x[:, : self.gdim])


def global_box(comm: MPI.Comm, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounding box over all ranks of local points ``x`` (n, d); ranks may hold none."""
    d = x.shape[1]
    lo = x.min(axis=0) if len(x) else np.full(d, np.inf)
    hi = x.max(axis=0) if len(x) else np.full(d, -np.inf)
    glo, ghi = np.empty(d), np.empty(d)
    comm.Allreduce(np.ascontiguousarray(lo, dtype=float), glo, op=MPI.MIN)
    comm.Allreduce(np.ascontiguousarray(hi, dtype=float), ghi, op=MPI.MAX)
    return glo, ghi


def build_domain(geometry, comm: MPI.Comm, order: int = 1, msh_path: str | None = None,
                 algorithm: str = "hxt", threads: int = 1, max_cells: int = meshes.MAX_CELLS) -> Domain:
    """Mesh ``geometry`` (a :class:`meshes.Geometry`) with gmsh on rank 0 and distribute it.

    ``msh_path``: also write the gmsh mesh there (rank 0). A geometry error raised by the
    builder on rank 0 is raised on every rank."""
    import gmsh

    with meshes.gmsh_session() if comm.rank == 0 else _nothing():
        outcome: tuple[BuiltMesh | None, Exception | None] = (None, None)
        if comm.rank == 0:
            try:
                with slow_notice(f"meshing the {geometry.type} geometry ({geometry.dimension}D)"):
                    built = meshes.build_mesh(geometry, order=order, algorithm=algorithm, threads=threads,
                                              max_cells=max_cells)
                if msh_path is not None:
                    gmsh.write(msh_path)
                outcome = (built, None)
            except meshes.GeometryError as exc:
                outcome = (None, exc)
            except Exception as exc:  # gmsh/OCC failures arrive as bare Exceptions
                outcome = (None, MeshingError(f"gmsh failed to build the {geometry.type} geometry: {exc}"))
        built, error = comm.bcast(outcome, root=0)
        if error is not None:
            raise error
        # Shared facets are ghosted: interface tractions integrate over interior facets,
        # and without ghosts those on partition boundaries would be missed.
        partitioner = dolfinx.mesh.create_cell_partitioner(dolfinx.mesh.GhostMode.shared_facet, 2)
        data = dolfinx.io.gmsh.model_to_mesh(
            gmsh.model if comm.rank == 0 else None, comm, 0, gdim=geometry.dimension, partitioner=partitioner
        )
    tdim = geometry.dimension
    names = data.physical_groups
    regions = {n: int(t) for n, (d, t) in names.items() if d == tdim}
    boundaries = {n: int(t) for n, (d, t) in names.items() if d == tdim - 1}
    info = {
        "cells": data.mesh.topology.index_map(tdim).size_global,
        "vertices": data.mesh.topology.index_map(0).size_global,
        "geometry_order": order,
        "element_counts": built.element_counts,
    }
    facet_tags = data.facet_tags
    if facet_tags is None:  # a mesh without named boundaries (an external file with none): no facet tagged
        data.mesh.topology.create_entities(tdim - 1)
        facet_tags = dolfinx.mesh.meshtags(data.mesh, tdim - 1, np.empty(0, np.int32), np.empty(0, np.int32))
    return Domain(data.mesh, data.cell_tags, facet_tags, regions, boundaries, info)


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
