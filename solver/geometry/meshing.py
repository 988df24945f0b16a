"""``sprout mesh``: the case's mesh as files, with element counts, volumes and quality; and
``sprout run`` of a ``kind = "geometry"`` case (the same, with a summary.json).

gmsh runs on rank 0 only; under mpirun the other ranks wait."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from mpi4py import MPI

import meshes
from meshes.base import UM_PER_M

from solver.core.case import CaseError
from solver.core.errors import MeshingError
from solver.core.kind import RunContext
from solver.core.output import Staging, atomic_write_json, summary, write_from_root

EXPORT_FORMATS = {"vtu": "vtu", "xdmf": "xdmf", "inp": "abaqus", "msh": "gmsh", "med": "med", "vtk": "vtk"}


def mesh_report(case, staging: Staging, export: list[str] | None = None) -> dict:
    """Build the mesh (rank 0) into ``staging``: mesh.msh, mesh_quality.json, mesh.png and
    any exports. Returns the quality/count record."""
    import gmsh

    t0 = time.perf_counter()
    with meshes.gmsh_session():
        try:
            built = meshes.build_mesh(case.geometry, order=case.mesh_order, algorithm=case.mesh.algorithm,
                                         threads=case.mesh.threads, max_cells=case.mesh.max_cells)
        except meshes.GeometryError as exc:
            raise CaseError(f"{exc.field}: {exc.message}") from None
        except Exception as exc:  # gmsh/OCC report failures as bare Exceptions
            raise MeshingError(f"gmsh failed to build the {case.geometry.type} geometry: {exc}") from None
        mesh_s = time.perf_counter() - t0
        gmsh.write(str(staging.file("mesh.msh")))
        dim = built.dimension
        quality = _quality(dim)
        info = {
            "case": case.name,
            "geometry": case.geometry.type,
            "dimension": dim,
            "order": case.mesh_order,
            "length_unit": "m",
            "mesh_s": round(mesh_s, 3),
            "cells_total": int(sum(built.element_counts.values())),
            "cells_per_region": built.element_counts,
            "nodes": built.nodes,
            "regions": built.regions,
            "boundaries": built.boundaries,
            "measure_per_region_m%d" % dim: _measures(dim, built.regions, case.geometry.type),
            "quality_measure": "minSICN (1 = ideal, <= 0 = inverted)",
            "quality_min": float(quality.min()),
            "quality_p1": float(np.percentile(quality, 1)),
            "quality_mean": float(quality.mean()),
        }
        _picture(staging.file("mesh.png"), case, built)
    files = ["mesh.msh", "mesh_quality.json", "mesh.png"]
    for fmt in export or []:
        files.append(export_mesh(staging.file("mesh.msh"), staging, fmt))
    info["files"] = files
    atomic_write_json(staging.file("mesh_quality.json"), info)
    return info


def _quality(dim: int) -> np.ndarray:
    import gmsh

    blocks = []
    for _, tag in gmsh.model.getEntities(dim):
        _, elem_tags, _ = gmsh.model.mesh.getElements(dim, tag)
        for tags in elem_tags:
            if len(tags):
                blocks.append(gmsh.model.mesh.getElementQualities(tags, "minSICN"))
    return np.concatenate(blocks) if blocks else np.zeros(1)


def _measures(dim: int, regions: dict[str, int], geometry_type: str) -> dict[str, float]:
    """Volume (3D) or area (2D) of every region, m^dim: from the CAD (OCC) for parametric
    geometries, from the cells for external meshes."""
    import gmsh

    out = {}
    for name, tag in regions.items():
        total = 0.0
        for ent in gmsh.model.getEntitiesForPhysicalGroup(dim, tag):
            if geometry_type == "external":
                total += _cell_measure(dim, int(ent))
            else:
                total += gmsh.model.occ.getMass(dim, int(ent)) / UM_PER_M**dim
        out[name] = total
    return out


def _cell_measure(dim: int, ent: int) -> float:
    import gmsh

    tags, coords, _ = gmsh.model.mesh.getNodes()
    index = {int(t): i for i, t in enumerate(tags)}
    x = coords.reshape(-1, 3)
    total = 0.0
    types, _, nodes = gmsh.model.mesh.getElements(dim, ent)
    for t, n in zip(types, nodes):
        k = gmsh.model.mesh.getElementProperties(t)[3]
        conn = np.vectorize(index.get)(np.asarray(n).reshape(-1, k))
        p = x[conn]
        if dim == 3:
            e1, e2, e3 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0], p[:, 3] - p[:, 0]
            total += np.abs(np.einsum("ij,ij->i", e1, np.cross(e2, e3))).sum() / 6
        else:
            a, b = p[:, 1, :2] - p[:, 0, :2], p[:, 2, :2] - p[:, 0, :2]
            total += 0.5 * np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).sum()
    return float(total)


def _picture(path: Path, case, built) -> None:
    from meshes.section import picture

    geo = case.geometry
    if built.dimension == 2:
        xlabel = "r [um]" if getattr(geo, "type", "") in ("csp", "substrate") else "x [um]"
        picture(path, 2, built.regions, case.name, xlabel=xlabel,
                ylabel="z [um]" if xlabel.startswith("r") else "y [um]")
        return
    if hasattr(geo, "sections"):
        panels = geo.sections()
    else:
        import gmsh

        x = gmsh.model.mesh.getNodes()[1].reshape(-1, 3) * UM_PER_M
        panels = [{"axis": 1, "at": float(0.5 * (x[:, 1].min() + x[:, 1].max())), "window": None, "label": ""}]
    picture(path, 3, built.regions, case.name, panels=panels)


def export_mesh(msh: Path, staging: Staging, fmt: str) -> str:
    """Write the mesh through meshio with region names: cell sets where the format keeps
    them (Abaqus ELSETs, MED groups), integer ``region`` cell data plus regions.json
    otherwise."""
    import meshio

    if fmt not in EXPORT_FORMATS:
        raise CaseError(f"--export {fmt}: unknown format (one of {', '.join(EXPORT_FORMATS)})")
    m = meshio.read(msh)
    names = {int(v[0]): k for k, v in m.field_data.items()}
    dim = max(int(v[1]) for v in m.field_data.values())
    cells, region, sets = [], [], {}
    kinds = {3: ("tetra", "tetra10"), 2: ("triangle", "triangle6")}[dim]
    for i, b in enumerate(m.cells):
        if b.type in kinds:
            tags = np.asarray(m.cell_data["gmsh:physical"][i], dtype=int)
            cells.append((b.type, b.data))
            region.append(tags)
    # One block per cell type, so every writer accepts it.
    merged: dict[str, list] = {}
    for (kind, data), tags in zip(cells, region):
        merged.setdefault(kind, [[], []])
        merged[kind][0].append(data)
        merged[kind][1].append(tags)
    blocks = [(k, np.vstack(v[0])) for k, v in merged.items()]
    tags = [np.concatenate(v[1]) for v in merged.values()]
    for tag, name in names.items():
        sel = [np.flatnonzero(t == tag) for t in tags]
        if sum(len(s) for s in sel):
            sets[name] = sel
    out = meshio.Mesh(m.points, blocks, cell_data={"region": tags}, cell_sets=sets if fmt in ("inp", "med") else {})
    name = f"mesh.{fmt}"
    meshio.write(staging.file(name), out, file_format=EXPORT_FORMATS[fmt])
    atomic_write_json(staging.file("regions.json"), {"length_unit": "m", "region_tags": {
        n: t for t, n in names.items() if any(len(s) for s in sets.get(n, []))}})
    return name


def write_mesh_files(case, out: Path, export: list[str] | None = None) -> dict:
    """``sprout mesh``: files into ``out`` (rank 0)."""
    staging = Staging(out, MPI.COMM_SELF)
    try:
        info = mesh_report(case, staging, export)
        staging.commit(last="mesh_quality.json")
    except BaseException:
        staging.discard()
        raise
    return info


def run_geometry(case, ctx: RunContext) -> dict:
    """``sprout run`` of a geometry case: the mesh files plus summary.json."""
    out, comm, t0, source = ctx.out, ctx.comm, ctx.t0, ctx.source

    def write(staging) -> dict:
        info = mesh_report(case, staging)
        m = info[f"measure_per_region_m{info['dimension']}"]
        unit, scale = ("mm3", 1e9) if info["dimension"] == 3 else ("mm2", 1e6)
        results = {"cells": info["cells_total"], "nodes": info["nodes"],
                   "quality_min": info["quality_min"], "quality_mean": info["quality_mean"],
                   "mesh_s": info["mesh_s"]}
        for name, n in info["cells_per_region"].items():
            results[f"cells_{name}"] = n
        facts = getattr(case.geometry, "facts", None)
        results.update(facts() if facts else {})
        kind = "volume" if info["dimension"] == 3 else "area"
        for name, v in m.items():
            results[f"{kind}_{name}_{unit}"] = v * scale
        atomic_write_json(staging.file("case.resolved.json"), ctx.resolved)
        data = summary(case.name, case.kind, "ok", comm.size, 0, time.perf_counter() - t0, results,
                       source=source, files=info["files"] + ["summary.json", "case.resolved.json"],
                       mesh={k: info[k] for k in ("cells_total", "cells_per_region", "nodes", "quality_min",
                                                  "quality_mean", "regions", "boundaries")})
        atomic_write_json(staging.file("summary.json"), data)
        return data

    return write_from_root(out, comm, write)
