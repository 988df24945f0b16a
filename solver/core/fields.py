"""Fields in files every viewer reads: ``OUT/fields/<name>.pvd``, a ParaView collection of
VTU files (one per time), each one whole mesh gathered on rank 0.

dolfinx's own ``VTKFile`` is not used: its VTU files carry version "2.2", which meshio
refuses (and then calls ``SystemExit``), its parallel runs write ``.pvtu`` pieces that
meshio cannot read, and every piece repeats the ghost cells. Here a file is the same
whatever the number of ranks: owned cells only, points shared by ranks once, written by
meshio (binary, zlib) and so read by meshio, pyvista and every ParaView.

What a file holds:

- the mesh of one layout of points: the nodes of continuous Lagrange (degree 1 or 2, as
  VTK's linear or quadratic cells, ``triangle6``/``tetra10`` in meshio; degree 2 also
  where only the geometry is curved), or of discontinuous Lagrange (every cell its own
  points: a stress that jumps between materials stays a jump). A function of another
  element is interpolated into the layout (exact when its space is contained in it: P1 in
  P2, P2 in DG2; a P2 displacement in a DG1 layout keeps its vertex values). Degrees above
  2 are written as their P2 interpolant (VTK's arbitrary-order cells are not meshio's).
- point data: each function, named as the function (units in the name), vectors padded
  to 3 components; cell data: DG0 functions and ``region``, the cell's region tag;
- field data: every region and boundary name as [tag, dimension], as meshio reads a
  gmsh file's physical names.

Beside them: ``regions.json`` (the legend: tag -> name for regions and boundaries, and the
coordinates' unit) and
``boundaries.vtu`` (every named boundary's facets, straight-sided, with cell data
``boundary``). ``surface`` writes functions on one boundary's facets (values at their
vertices), ``profile`` a polyline given on rank 0. ``vtx=True`` also writes the volume
files as VTX (``<name>.bp``, ADIOS2), which only a ParaView built with ADIOS2 reads.

Every call is collective. Rank 0 writes; an error there is raised on every rank."""

from __future__ import annotations

import json
import os
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
from mpi4py import MPI

FOLDER = "fields"

# VTK cell types by (topological dimension, nodes per cell)
_VTK = {(0, 1): ("vertex", 1), (1, 2): ("line", 3), (1, 3): ("line3", 21), (2, 3): ("triangle", 5),
        (2, 6): ("triangle6", 22), (3, 4): ("tetra", 10), (3, 10): ("tetra10", 24)}


class FieldFiles:
    """The fields of one run, written into ``staging``'s ``fields/`` folder. Use as a
    context manager (or call ``close``): the collections, the legend and the boundaries
    file are written at the end; ``files`` then lists every file (relative to OUT)."""

    def __init__(self, staging, comm: MPI.Comm, vtx: bool = False):
        self.comm = comm
        self.folder = Path(staging.file(FOLDER))
        self.vtx = vtx
        self.files: list[str] = []
        self._series: dict[str, list[tuple[float, str]]] = {}
        self._legend: dict[str, dict[str, str]] = {"regions": {}, "boundaries": {}}
        self._mesh = None  # the mesh the cached layouts belong to
        self._layouts: dict = {}
        self._domain = None  # the last domain written: its boundaries go to boundaries.vtu
        self._vtx_writers: dict = {}
        if comm.rank == 0:
            self.folder.mkdir(exist_ok=True)
        comm.barrier()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self._close_vtx()
        return False

    # -- writing --------------------------------------------------------------------------
    def write(self, name: str, domain, functions: list, t: float = 0.0) -> None:
        """The functions (one mesh: ``domain``'s) at time ``t`` as the next VTU of
        ``<name>.pvd``."""
        self._remember(domain)
        point = [f for f in functions if _degree(f) > 0]
        cell = [f for f in functions if _degree(f) == 0]
        layout = self._layout(domain, point)
        n_cells = domain.mesh.topology.index_map(domain.tdim).size_local
        point_data = {}
        for f in point:
            g = layout.function(f)
            bs = g.function_space.dofmap.index_map_bs
            local = g.x.array.reshape(-1, bs)[layout.used]
            point_data[f.name] = layout.gather_points(local)
        cell_data = {"region": layout.region}
        for f in cell:
            bs = f.function_space.dofmap.index_map_bs
            local = f.x.array.reshape(-1, bs)[f.function_space.dofmap.list[:n_cells, 0]]
            cell_data[f.name] = _gather(self.comm, local)
        self._check_names(name, list(point_data) + list(cell_data))
        self._next(name, t, lambda path: _write_vtu(path, layout.points, layout.cells, layout.cell_type,
                                                       point_data, cell_data, self._field_data(domain)))
        if self.vtx:
            self._write_vtx(name, functions, t)

    def surface(self, name: str, domain, boundary: str, functions: list, t: float = 0.0) -> None:
        """Continuous Lagrange functions on the facets of ``boundary``: values at their
        vertices (a P1 function's own values), straight-sided facets."""
        self._remember(domain)
        facets = domain.facets(boundary)
        n_owned = domain.mesh.topology.index_map(domain.tdim - 1).size_local
        layout = _FacetLayout(domain, facets[facets < n_owned])
        point_data = {}
        for f in functions:
            if _degree(f) < 1 or _discontinuous(f):
                raise ValueError(f"fields: {f.name} is not continuous Lagrange; a surface takes vertex values")
            bs = f.function_space.dofmap.index_map_bs
            f.x.scatter_forward()
            dofs = layout.vertex_dofs(f.function_space)
            point_data[f.name] = layout.gather_points(f.x.array.reshape(-1, bs)[dofs])
        tag = domain.boundaries[boundary]
        cell_data = {"boundary": np.full(len(layout.cells) if layout.cells is not None else 0, tag, np.int32)}
        self._check_names(name, list(point_data) + list(cell_data))
        fd = {boundary: (tag, domain.tdim - 1)}
        self._next(name, t, lambda path: _write_vtu(path, layout.points, layout.cells, layout.cell_type,
                                                       point_data, cell_data, fd))

    def profile(self, name: str, points: np.ndarray | None, point_data: dict | None, t: float = 0.0,
                domain=None, region: str | None = None, boundary: str | None = None) -> None:
        """A polyline through ``points`` (n, 3) in their order, with ``point_data`` (each
        (n,) or (n, k)), given on rank 0 (ignored elsewhere): a profile along a 1D mesh or a
        boundary. With ``domain``, the segments carry the tag of its ``region`` (cell data
        ``region``) or ``boundary`` (``boundary``) and the file its names."""
        cell_data, fd = {}, {}
        if domain is not None:
            self._remember(domain)
            fd = self._field_data(domain)
            if region is not None:
                cell_data["region"] = domain.regions[region]
            if boundary is not None:
                cell_data["boundary"] = domain.boundaries[boundary]

        def write(path):
            n = len(points)
            cells = np.column_stack([np.arange(n - 1), np.arange(1, n)])
            _write_vtu(path, np.asarray(points, dtype=float), cells, "line",
                       {k: _vtk_values(np.asarray(v, dtype=float)) for k, v in point_data.items()},
                       {k: np.full(n - 1, v, dtype=np.int32) for k, v in cell_data.items()}, fd)
        if self.comm.rank == 0:
            self._check_names(name, list(point_data) + list(cell_data))
        self._next(name, t, write)

    # -- the end --------------------------------------------------------------------------
    def close(self) -> list[str]:
        """Collections, legend and boundaries (collective); returns ``files``."""
        self._close_vtx()
        domain = self._domain
        bnd = _FacetLayout(domain, _owned_tagged_facets(domain)) if domain is not None else None
        if bnd is not None:
            tags = bnd.tags
            fd = self._field_data(domain)
            self._on_root(lambda: _write_vtu(self.folder / "boundaries.vtu", bnd.points, bnd.cells, bnd.cell_type,
                                             {}, {"boundary": tags}, fd))
            self.files.append(f"{FOLDER}/boundaries.vtu")

        def collections():
            for name, entries in self._series.items():
                rows = "".join(f'    <DataSet timestep="{t:.17g}" group="" part="0" file="{f}"/>\n'
                               for t, f in entries)
                _atomic_text(self.folder / f"{name}.pvd",
                             '<?xml version="1.0"?>\n<VTKFile type="Collection" version="0.1">\n  <Collection>\n'
                             f"{rows}  </Collection>\n</VTKFile>\n")
            legend = {"length_unit": "m"}  # the points' coordinates
            legend.update({kind: dict(sorted(names.items(), key=lambda kv: int(kv[0])))
                           for kind, names in self._legend.items()})
            _atomic_text(self.folder / "regions.json", json.dumps(legend, indent=2) + "\n")

        self._on_root(collections)
        self.files += [f"{FOLDER}/{n}.pvd" for n in self._series] + [f"{FOLDER}/regions.json"]
        self.files = sorted(set(self.files))
        self._series = {}
        return self.files

    # -- internals ------------------------------------------------------------------------
    def _remember(self, domain) -> None:
        self._domain = domain
        for kind, names in (("regions", domain.regions), ("boundaries", domain.boundaries)):
            for n, tag in names.items():
                self._legend[kind].setdefault(str(tag), n)
        if domain.mesh is not self._mesh:  # a new mesh (a remeshed front): new layouts
            self._mesh, self._layouts = domain.mesh, {}

    def _layout(self, domain, point: list):
        """Discontinuous if any function is; the highest degree (and the geometry's, for a
        continuous layout), at most 2."""
        discontinuous = any(_discontinuous(f) for f in point)
        if discontinuous:
            degree = max(_degree(f) for f in point if _discontinuous(f))
        else:
            degree = max([_degree(f) for f in point] + [domain.mesh.geometry.cmaps[0].degree])
        key = (discontinuous, min(degree, 2))
        if key not in self._layouts:
            self._layouts[key] = _CellLayout(domain, *key)
        return self._layouts[key]

    @staticmethod
    def _field_data(domain) -> dict:
        out = {n: (t, domain.tdim) for n, t in domain.regions.items()}
        out.update({n: (t, domain.tdim - 1) for n, t in domain.boundaries.items()})
        return out

    def _check_names(self, name: str, arrays: list[str]) -> None:
        if len(set(arrays)) != len(arrays):
            raise ValueError(f"fields: {name} has two arrays of one name: {sorted(arrays)}")

    def _next(self, name: str, t: float, write) -> None:
        entries = self._series.setdefault(name, [])
        file = f"{name}_{len(entries):06d}.vtu"
        self._on_root(lambda: write(self.folder / file))
        entries.append((float(t), file))
        self.files.append(f"{FOLDER}/{file}")

    def _on_root(self, work) -> None:
        """``work`` on rank 0; its error raised on every rank (none waits for rank 0)."""
        error = None
        if self.comm.rank == 0:
            try:
                work()
            except Exception as exc:
                error = exc
        error = self.comm.bcast(error, root=0)
        if error is not None:
            raise error

    def _write_vtx(self, name: str, functions: list, t: float) -> None:
        """VTX wants one element per writer and the same functions at every time: a group
        per element, and a new file when the functions change (a remeshed front)."""
        import dolfinx.io

        groups: dict[str, list] = {}
        for f in functions:
            groups.setdefault(("DG" if _discontinuous(f) else "P") + str(_degree(f)), []).append(f)
        for key, group in groups.items():
            stem = name if len(groups) == 1 else f"{name}_{key}"
            ids = [id(f) for f in group]
            state = self._vtx_writers.get(stem)  # (writer, function ids, files opened)
            if state is None or state[1] != ids:
                opened = 0 if state is None else state[2]
                if state is not None:
                    state[0].close()
                file = f"{stem}.bp" if opened == 0 else f"{stem}_{opened}.bp"
                state = (dolfinx.io.VTXWriter(self.comm, self.folder / file, group, engine="BP4"), ids, opened + 1)
                self._vtx_writers[stem] = state
                self.files.append(f"{FOLDER}/{file}")
            state[0].write(float(t))

    def _close_vtx(self) -> None:
        for writer, _, _ in self._vtx_writers.values():
            writer.close()
        self._vtx_writers = {}


class _CellLayout:
    """The points and cells of one layout (continuous or discontinuous Lagrange of one
    degree), gathered on rank 0: owned cells, each point once."""

    def __init__(self, domain, discontinuous: bool, degree: int):
        from dolfinx import fem

        msh = domain.mesh
        self.comm = comm = domain.comm
        self.discontinuous, self.degree = discontinuous, degree
        tdim = domain.tdim
        n_cells = msh.topology.index_map(tdim).size_local
        self.space = fem.functionspace(msh, ("DG" if discontinuous else "Lagrange", degree))
        self._spaces: dict = {}
        self._buffers: dict = {}
        dofs = self.space.dofmap.list[:n_cells]
        self.cell_type, order = _vtk_cell(msh.topology.cell_type, tdim, dofs.shape[1])
        dofs = dofs[:, order]
        self.used, conn = np.unique(dofs, return_inverse=True)
        glob = self.space.dofmap.index_map.local_to_global(self.used.astype(np.int32))
        x = self.space.tabulate_dof_coordinates()[self.used]
        region = np.full(n_cells, -1, dtype=np.int32)
        tags = domain.cell_tags
        keep = tags.indices < n_cells
        region[tags.indices[keep]] = tags.values[keep]
        self.points, self.cells, self.region, self._first = _gather_on_root(
            comm, glob, x, glob[conn.reshape(dofs.shape)], region)

    def function(self, f):
        """``f`` in this layout's space of its value shape (the same node numbering as the
        scalar space: checked)."""
        from dolfinx import fem

        shape = tuple(f.function_space.value_shape)
        if shape not in self._spaces:
            family = "DG" if self.discontinuous else "Lagrange"
            V = fem.functionspace(self.space.mesh, (family, self.degree, shape) if shape else (family, self.degree))
            if not np.array_equal(V.dofmap.list, self.space.dofmap.list):
                raise RuntimeError(f"fields: the {shape} space numbers its nodes unlike the scalar one")
            self._spaces[shape] = V
        V = self._spaces[shape]
        if f.function_space is V:
            return f
        g = self._buffers.get(id(f))
        if g is None or g.function_space is not V:
            g = fem.Function(V)
            self._buffers[id(f)] = g
        g.interpolate(f)
        g.x.scatter_forward()
        return g

    def gather_points(self, local: np.ndarray):
        parts = self.comm.gather(local, root=0)
        if self.comm.rank != 0:
            return None
        return _vtk_values(np.concatenate(parts)[self._first])


class _FacetLayout:
    """Straight-sided facets (their vertices) gathered on rank 0, each vertex once."""

    def __init__(self, domain, facets: np.ndarray):
        import dolfinx.mesh

        msh = domain.mesh
        self.comm = comm = domain.comm
        tdim, fdim = domain.tdim, domain.tdim - 1
        msh.topology.create_connectivity(fdim, tdim)
        msh.topology.create_connectivity(tdim, fdim)
        facets = np.asarray(facets, dtype=np.int32)
        nv = fdim + 1
        nodes = dolfinx.mesh.entities_to_geometry(msh, fdim, facets, False)[:, :nv].reshape(-1, nv)
        self.nodes, conn = np.unique(nodes, return_inverse=True)
        imap = msh.geometry.index_map()
        glob = imap.local_to_global(self.nodes.astype(np.int32))
        x = msh.geometry.x[self.nodes]
        values = np.zeros(len(facets), dtype=np.int32)
        if len(facets):
            ft = domain.facet_tags
            pos = np.searchsorted(ft.indices, facets)
            hit = (pos < len(ft.indices)) & (ft.indices[np.minimum(pos, len(ft.indices) - 1)] == facets)
            values[hit] = ft.values[pos[hit]]
        self.cell_type = _VTK[(fdim, nv)][0]
        self.geometry_cells = msh.geometry.dofmaps[0]
        self.msh = msh
        self.points, self.cells, self.tags, self._first = _gather_on_root(
            comm, glob, x, glob[conn.reshape(-1, nv)], values)

    def vertex_dofs(self, V) -> np.ndarray:
        """The dofs of V (continuous Lagrange) at this layout's geometry nodes: both number
        a cell's vertices first, in the reference cell's order."""
        nv = self.msh.topology.dim + 1
        node_to_dof = np.full(len(self.msh.geometry.x), -1, dtype=np.int64)
        node_to_dof[self.geometry_cells[:, :nv].ravel()] = V.dofmap.list[:, :nv].ravel()
        return node_to_dof[self.nodes]

    def gather_points(self, local: np.ndarray):
        parts = self.comm.gather(local, root=0)
        if self.comm.rank != 0:
            return None
        return _vtk_values(np.concatenate(parts)[self._first])


def _owned_tagged_facets(domain) -> np.ndarray:
    n_owned = domain.mesh.topology.index_map(domain.tdim - 1).size_local
    idx = domain.facet_tags.indices
    return np.unique(idx[idx < n_owned])


def _degree(f) -> int:
    return int(f.function_space.ufl_element().embedded_superdegree)


def _discontinuous(f) -> bool:
    return bool(f.function_space.element.basix_element.discontinuous)


def _vtk_cell(cell_type, tdim: int, nodes: int) -> tuple[str, np.ndarray]:
    """meshio's name of the VTK cell and the permutation from dolfinx's node order to VTK's."""
    import dolfinx.cpp.io

    if (tdim, nodes) not in _VTK:
        raise ValueError(f"fields: no VTK cell for {cell_type} with {nodes} nodes")
    order = np.argsort(dolfinx.cpp.io.perm_vtk(cell_type, nodes))
    return _VTK[(tdim, nodes)][0], order


def _vtk_values(v: np.ndarray) -> np.ndarray:
    """Vectors padded to 3 components (2D meshes), 2x2 tensors to 3x3, flattened per point."""
    if v.ndim == 2 and v.shape[1] == 2:
        v = np.column_stack([v, np.zeros(len(v))])
    elif v.ndim == 2 and v.shape[1] == 4:
        t = np.zeros((len(v), 3, 3))
        t[:, :2, :2] = v.reshape(-1, 2, 2)
        v = t.reshape(-1, 9)
    if v.ndim == 2 and v.shape[1] == 1:
        v = v[:, 0]
    return np.ascontiguousarray(v, dtype=float)


def _gather(comm: MPI.Comm, local: np.ndarray):
    parts = comm.gather(local, root=0)
    return _vtk_values(np.concatenate(parts)) if comm.rank == 0 else None


def _write_vtu(path: Path, points, cells, cell_type: str, point_data: dict, cell_data: dict,
               field_data: dict) -> None:
    """One VTU by meshio, with the names as VTK field data ([tag, dimension] each, which
    meshio's writer does not write and its reader reads)."""
    import meshio

    mesh = meshio.Mesh(np.asarray(points, dtype=float), [(cell_type, np.asarray(cells, dtype=np.int64))],
                       point_data=point_data, cell_data={k: [np.asarray(v)] for k, v in cell_data.items()})
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        meshio.write(tmp, mesh, file_format="vtu")
        if field_data:
            arrays = "".join(f'<DataArray type="Int32" Name={quoteattr(n)} NumberOfTuples="2" format="ascii">'
                             f"{int(t)} {int(d)}</DataArray>\n" for n, (t, d) in sorted(field_data.items()))
            text = tmp.read_bytes()
            anchor = b"<UnstructuredGrid>\n"
            if anchor not in text:
                raise RuntimeError(f"fields: meshio wrote {path.name} without an UnstructuredGrid element")
            text = text.replace(anchor, anchor + f"<FieldData>\n{arrays}</FieldData>\n".encode(), 1)
            tmp.write_bytes(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _atomic_text(path: Path, text: str) -> None:
    from solver.core.output import atomic_write_text

    atomic_write_text(path, text)


def _gather_on_root(comm, glob: np.ndarray, x: np.ndarray, cells: np.ndarray, tags: np.ndarray):
    """Each rank's nodes (global numbers ``glob``, coordinates ``x``), cells (as global node
    numbers) and cell tags, gathered on rank 0 with every node once: (points, cells as
    indices into points, tags, where each kept node first came in the gathered order), all
    None on the other ranks."""
    parts = comm.gather((glob, x, cells, tags), root=0)
    if comm.rank != 0:
        return None, None, None, None
    unique, first = np.unique(np.concatenate([p[0] for p in parts]), return_index=True)
    points = np.concatenate([p[1] for p in parts])[first]
    return (points, np.searchsorted(unique, np.concatenate([p[2] for p in parts])),
            np.concatenate([p[3] for p in parts]), first)
