"""``sprout mesh``: the case's gmsh mesh as files, with element counts and quality."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mpi4py import MPI

import meshes

from .output import Staging, atomic_write_json
from .schema import CaseError


def write_mesh_files(case, out: Path) -> dict:
    import gmsh

    staging = Staging(out, MPI.COMM_SELF)
    try:
        with meshes.gmsh_session():
            try:
                built = meshes.build_mesh(case.geometry, order=case.mesh_order)
            except meshes.GeometryError as exc:
                raise CaseError(f"{exc.field}: {exc.message}") from None
            except Exception as exc:  # gmsh/OCC report failures as bare Exceptions
                from .domain import MeshingError

                raise MeshingError(f"gmsh failed to build the {case.geometry.type} geometry: {exc}") from None
            gmsh.write(str(staging.file("mesh.msh")))
            dim = built.dimension
            qualities = []
            for _, tag in gmsh.model.getEntities(dim):
                _, elem_tags, _ = gmsh.model.mesh.getElements(dim, tag)
                for tags in elem_tags:
                    if len(tags):
                        qualities.append(gmsh.model.mesh.getElementQualities(tags, "minSICN"))
            q = np.concatenate(qualities) if qualities else np.zeros(1)
            info = {
                "case": case.name,
                "geometry": case.geometry.type,
                "dimension": dim,
                "order": case.mesh_order,
                "length_unit": "m",
                "cells_total": int(sum(built.element_counts.values())),
                "cells_per_region": built.element_counts,
                "nodes": built.nodes,
                "regions": built.regions,
                "boundaries": built.boundaries,
                "quality_measure": "minSICN (1 = ideal, <= 0 = inverted)",
                "quality_min": float(q.min()),
                "quality_mean": float(q.mean()),
            }
            if dim == 2:
                _picture_2d(staging.file("mesh.png"), built, case.name)
        atomic_write_json(staging.file("mesh_quality.json"), info)
        staging.commit(last="mesh_quality.json")
    except BaseException:
        staging.discard()
        raise
    return info


def _picture_2d(path: Path, built, title: str) -> None:
    import gmsh
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    node_tags, coords, _ = gmsh.model.mesh.getNodes()
    index = {int(t): i for i, t in enumerate(node_tags)}
    xy = coords.reshape(-1, 3)[:, :2] * 1e3
    fig, ax = plt.subplots(figsize=(8, 5))
    colours = plt.get_cmap("tab10")
    for k, (name, tag) in enumerate(built.regions.items()):
        tris = []
        for ent in gmsh.model.getEntitiesForPhysicalGroup(2, tag):
            types, _, nodes = gmsh.model.mesh.getElements(2, int(ent))
            for t, n in zip(types, nodes):
                props = gmsh.model.mesh.getElementProperties(t)
                npe, nv = props[3], props[5]  # nodes per element, of which corners
                conn = np.asarray(n, dtype=np.int64).reshape(-1, npe)[:, :nv]
                tris.append(np.vectorize(index.get)(conn))
        if tris:
            tri = np.concatenate(tris)
            ax.triplot(xy[:, 0], xy[:, 1], tri, color=colours(k % 10), lw=0.3)
            c = xy[np.unique(tri)].mean(axis=0)
            ax.text(c[0], c[1], name, color=colours(k % 10), fontsize=10, weight="bold", ha="center")
    ax.set_aspect("equal" if np.ptp(xy[:, 1]) > 0.05 * np.ptp(xy[:, 0]) else "auto")
    ax.set_xlabel("x [mm]")
    ax.set_ylabel("y [mm]")
    ax.set_title(f"{title}: mesh by region")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
