"""``sprout mesh``: the case's mesh as files, with element counts, volumes and quality; and
``sprout run`` of a ``kind = "geometry"`` case (the same, with a summary.json).

gmsh runs on rank 0 only; under mpirun the other ranks wait."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from mpi4py import MPI

import meshes
from meshes.base import UM_PER_M

from solver.core.case import CaseError
from solver.core.errors import MeshingError
from solver.core.kind import RunContext
from solver.core.output import Staging, atomic_write_json, summary, write_from_root

# --export FORMAT -> the file it writes and meshio's writer. msh is gmsh's own writer in the
# MSH 2.2 format most other tools read, under a name of its own: mesh.msh (MSH 4.1 with the
# named groups) stays as gmsh wrote it.
EXPORTS = {"vtu": ("mesh.vtu", "vtu"), "xdmf": ("mesh.xdmf", "xdmf"), "vtk": ("mesh.vtk", "vtk"),
           "inp": ("mesh.inp", "abaqus"), "med": ("mesh.med", "med"), "msh": ("mesh_v2.msh", None)}
# Beside the exports: the names of the ids in their integer ``region`` cell data, as the
# [geometry] keys of an external mesh (``legend = "regions.json"`` reads them).
LEGEND = "regions.json"
REGION_DATA = "region"
_CELL_DIM = {"vertex": 0, "line": 1, "line3": 1, "triangle": 2, "triangle6": 2, "tetra": 3, "tetra10": 3}


def mesh_report(case, staging: Staging, export: list[str] | None = None) -> dict:
    """Build the mesh (rank 0) into ``staging``: mesh.msh, mesh_quality.json, mesh.png and
    any exports. Returns the quality/count record."""
    import gmsh

    export = check_export(export, case)
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
        if "msh" in export:
            _write_msh2(staging.file(EXPORTS["msh"][0]))
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
    if "msh" in export:
        files.append(EXPORTS["msh"][0])
    through_meshio = [fmt for fmt in export if fmt != "msh"]
    if through_meshio:
        named = named_mesh(staging.file("mesh.msh"))
        for fmt in through_meshio:
            files += export_mesh(named, staging, fmt)
        atomic_write_json(staging.file(LEGEND), named.legend())
        files.append(LEGEND)
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


def check_export(export: list[str] | None, case) -> list[str]:
    """The formats asked for, each once, refused before any meshing if unknown or if the
    mesh is 1D (the formats' region sets and sprout's external meshes are 2D and 3D)."""
    formats = list(dict.fromkeys(export or []))
    for fmt in formats:
        if fmt not in EXPORTS:
            raise CaseError(f"--export {fmt}: unknown format (one of {', '.join(EXPORTS)})")
    if formats and case.geometry.dimension == 1:
        raise CaseError(f"--export: the {case.geometry.type} geometry is 1D; meshes are exported in 2D and 3D")
    return formats


def _write_msh2(path: Path) -> None:
    """gmsh's own writer in MSH 2.2, physical names included (the current gmsh model)."""
    import gmsh

    version = gmsh.option.getNumber("Mesh.MshFileVersion")
    gmsh.option.setNumber("Mesh.MshFileVersion", 2.2)
    try:
        gmsh.write(str(path))
    finally:
        gmsh.option.setNumber("Mesh.MshFileVersion", version)


@dataclass
class NamedMesh:
    """The mesh with its named groups as meshio blocks: one block per cell type, the regions'
    cells and the boundaries' facets, each cell with the gmsh physical tag of its group."""

    points: np.ndarray
    blocks: list[tuple[str, np.ndarray]]
    ids: list[np.ndarray]
    regions: dict[str, int]
    boundaries: dict[str, int]
    dimension: int

    def group_sets(self) -> dict[str, list[np.ndarray]]:
        """Name -> the indices of its cells in every block (Abaqus ELSETs)."""
        sets = {}
        for names, dim in ((self.regions, self.dimension), (self.boundaries, self.dimension - 1)):
            for name, tag in names.items():
                sets[name] = [np.flatnonzero(ids == tag) if _CELL_DIM[kind] == dim else np.zeros(0, int)
                              for (kind, _), ids in zip(self.blocks, self.ids)]
        return sets

    def legend(self) -> dict:
        return {"cell_data": REGION_DATA, "region_ids": self.regions, "boundary_ids": self.boundaries}


def named_mesh(msh: Path) -> NamedMesh:
    """mesh.msh through meshio (which orders quadratic cells' nodes as every other format
    does), kept to the cells of the regions and the facets of the boundaries."""
    import meshio

    m = meshio.read(msh)
    groups = {(int(tag), int(dim)): name for name, (tag, dim) in m.field_data.items()}
    dim = max(d for _, d in groups)
    merged: dict[str, tuple[list, list]] = {}
    for block, tags in zip(m.cells, m.cell_data["gmsh:physical"]):
        d = _CELL_DIM.get(block.type)
        if d not in (dim, dim - 1):
            continue
        data, ids = merged.setdefault(block.type, ([], []))
        data.append(block.data)
        ids.append(np.asarray(tags, dtype=int))
    # Cells before facets, one block per type: every writer takes that (MED requires it).
    kinds = sorted(merged, key=lambda k: -_CELL_DIM[k])
    return NamedMesh(
        points=np.asarray(m.points, dtype=float),
        blocks=[(k, np.vstack(merged[k][0])) for k in kinds],
        ids=[np.concatenate(merged[k][1]) for k in kinds],
        regions={n: t for (t, d), n in groups.items() if d == dim},
        boundaries={n: t for (t, d), n in groups.items() if d == dim - 1},
        dimension=dim,
    )


def export_mesh(named: NamedMesh, staging: Staging, fmt: str) -> list[str]:
    """Write the mesh through meshio with its region and boundary names: the integer
    ``region`` cell data in every format (its names in regions.json), and the names in the
    file itself where the format has them (Abaqus ELSETs, MED groups). Returns the files."""
    import meshio

    name, writer = EXPORTS[fmt]
    out = meshio.Mesh(named.points, named.blocks, cell_data={REGION_DATA: named.ids})
    if fmt == "inp":
        out.cell_sets = named.group_sets()
    if fmt == "med":
        # MED names cells through families (negative numbers for cells): one per group here.
        family = {}
        for groups, dim in ((named.regions, named.dimension), (named.boundaries, named.dimension - 1)):
            for group, tag in groups.items():
                family[(tag, dim)] = (-(len(family) + 1), group)
        out.cell_tags = {number: [group] for number, group in family.values()}
        out.cell_data["cell_tags"] = [
            _relabel(ids, {t: number for (t, d), (number, _) in family.items() if d == _CELL_DIM[kind]})
            for (kind, _), ids in zip(named.blocks, named.ids)]
    meshio.write(staging.file(name), out, file_format=writer)
    return [name, "mesh.h5"] if fmt == "xdmf" else [name]


def _relabel(ids: np.ndarray, mapping: dict[int, int]) -> np.ndarray:
    table = np.zeros(max(mapping) + 1, dtype=int)
    table[list(mapping)] = list(mapping.values())
    return table[ids]


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
