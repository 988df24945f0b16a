"""``sprout run`` of an etch case: arrival distance, the concavity at each time, the files.

Results (last time; per time in ``etch_history.csv``): depth, undercut at the film/base
interface, radius there, etch factor (depth / undercut), etched volume, and the largest
distance of the computed front from the exact reaction-limited front (every base point
within v t of an opening disk; the union over all holes, mirrored ones included). The last
concavity is also written as ``concavity.toml``, a ``[geometry.concavity] profile`` that
the ``substrate`` geometry turns into the plating structure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from mpi4py import MPI
from scipy.spatial import cKDTree

from dolfinx import fem

from solver.core.domain import Domain, build_domain
from solver.core.kind import RunContext
from solver.core.output import (
    atomic_write_json,
    atomic_write_text,
    concavity_toml,
    field_hook,
    summary,
    write_csv,
    write_from_root,
)
from solver.etch.analytic import isotropic_etch_volume
from solver.fronts.cut_cells import distance_to_openings, etched_measure, front_points, radial, rim_radius
from solver.fronts.distance import Front, GhostExchange, Graph, arrival_distance, distance_to_simplices

UM = 1e6


@dataclass
class EtchSolution:
    domain: Domain
    front: Front
    X: np.ndarray  # (c, k, d) vertex coordinates of the owned base cells
    f: np.ndarray  # (c, k) arrival distances there
    vertices: int
    mesh_s: float
    solve_s: float


def solve_etch(case, comm: MPI.Comm, log) -> EtchSolution:
    geo = case.geometry
    t0 = time.perf_counter()
    domain = build_domain(geo, comm, order=1, algorithm=case.mesh.algorithm,
                          threads=case.mesh.threads, max_cells=case.mesh.max_cells)
    mesh_s = time.perf_counter() - t0
    log.info("mesh: %d cells, %d vertices (%s) in %.2f s", domain.info["cells"], domain.info["vertices"],
             geo.type, mesh_s)
    t1 = time.perf_counter()
    graph, opening, seeds = _graph(domain, geo)
    # One cell beyond the last front, so that every cell it crosses has all its distances.
    e = graph.edges
    longest = np.linalg.norm(graph.x[e[:, 0]] - graph.x[e[:, 1]], axis=1).max() if len(e) else 0.0
    limit = case.etch.rate * case.etch.times[-1] + 1.01 * comm.allreduce(longest, op=MPI.MAX)
    front = arrival_distance(graph, opening, seeds, limit, comm)
    solve_s = comm.allreduce(time.perf_counter() - t1, op=MPI.MAX)
    tdim = domain.tdim
    n_cells = domain.mesh.topology.index_map(tdim).size_local
    base = domain.cells("base")
    base = base[base < n_cells]
    dofs = graph.cell_dofs[base]
    log.info("arrival distance: %d vertices, %d relaxation rounds, %d updates, %.2f s",
             domain.info["vertices"], front.rounds, front.updates, solve_s)
    return EtchSolution(domain, front, graph.x[dofs], front.distance[dofs], domain.info["vertices"], mesh_s,
                        solve_s)


def _graph(domain: Domain, geo):
    msh = domain.mesh
    tdim, gdim = domain.tdim, domain.gdim
    V = fem.functionspace(msh, ("Lagrange", 1))
    imap = V.dofmap.index_map
    n_owned, n = imap.size_local, imap.size_local + imap.num_ghosts
    x = V.tabulate_dof_coordinates()[:n, :gdim]
    cell_dofs = V.dofmap.list
    base = domain.cells("base")
    c = cell_dofs[base]
    k = c.shape[1]
    pairs = np.array([(i, j) for i in range(k) for j in range(k) if i != j])
    keys = np.unique(c[:, pairs[:, 0]].astype(np.int64).ravel() * n + c[:, pairs[:, 1]].ravel())
    edges = np.column_stack([keys // n, keys % n])
    # vertex -> dof (P1 dofs follow the cells' vertex order)
    msh.topology.create_connectivity(tdim, 0)
    c2v = msh.topology.connectivity(tdim, 0).array.reshape(-1, k)
    v2d = np.empty(msh.topology.index_map(0).size_local + msh.topology.index_map(0).num_ghosts, dtype=np.int64)
    v2d[c2v.ravel()] = cell_dofs.ravel()
    fdim = tdim - 1
    msh.topology.create_connectivity(fdim, 0)
    f2v = msh.topology.connectivity(fdim, 0)

    f2v_all = f2v.array.reshape(-1, tdim)  # simplices: every facet has tdim vertices

    def facet_dofs(facets):
        return v2d[f2v_all[facets]]

    in_base = np.zeros(n, dtype=bool)
    in_base[c.ravel()] = True
    boundary = np.zeros(n, dtype=bool)
    for name in domain.boundaries:
        boundary[facet_dofs(domain.facets(name)).ravel()] = True
    boundary &= in_base

    # The opening's facets as simplices, on every rank.
    op = facet_dofs(domain.facets("opening"))
    mine = x[op]  # (m, d, d)
    comm = domain.comm
    parts = comm.allgather(mine)
    offset = sum(len(p) for p in parts[: comm.rank])
    real = np.concatenate(parts) if parts else mine
    seeds = {}
    for i, row in enumerate(op):
        for v in row:
            seeds[int(v)] = (offset + i, 0.0)
    opening = [real]
    # Holes beyond a symmetry plane etch into the model too: mirror the opening and seed the
    # symmetry-plane vertices with their exact distance to the mirrored copies.
    planes = [(0, float(domain.extent()[0][0]), "sym_x"), (1, float(domain.extent()[0][1]), "sym_y")]
    planes = [p for p in planes if p[2] in domain.boundaries]
    mirrored = []
    for mask in range(1, 2 ** len(planes)):
        m = real.copy()
        for bit, (axis, at, _) in enumerate(planes):
            if mask >> bit & 1:
                m[..., axis] = 2 * at - m[..., axis]
        mirrored.append(m)
    if mirrored:
        mirrored = np.concatenate(mirrored)
        first = len(real)
        opening.append(mirrored)
        sym_vertices = np.unique(np.concatenate([facet_dofs(domain.facets(p[2])).ravel() for p in planes]))
        sym_vertices = sym_vertices[in_base[sym_vertices]]
        if len(sym_vertices) and len(mirrored):
            tree = cKDTree(mirrored.mean(axis=1))
            kq = min(16, len(mirrored))
            _, near = tree.query(x[sym_vertices], k=kq)
            near = near.reshape(len(sym_vertices), kq)
            d = distance_to_simplices(np.repeat(x[sym_vertices], kq, axis=0),
                                      mirrored[near.ravel()]).reshape(-1, kq)
            best = d.argmin(axis=1)
            for v, j, dist in zip(sym_vertices, near[np.arange(len(best)), best], d.min(axis=1)):
                if int(v) not in seeds or seeds[int(v)][1] > dist:
                    seeds[int(v)] = (first + int(j), float(dist))
    opening = np.concatenate(opening)
    graph = Graph(x, edges, n_owned, boundary, cell_dofs=cell_dofs)
    if comm.size > 1:
        ghosts = imap.ghosts.astype(np.int64)
        owners = imap.owners.astype(np.int64)
        graph.exchange = GhostExchange(comm, n_owned, ghosts, owners, imap.local_range[0])
    return graph, opening, seeds


# -- results --------------------------------------------------------------------------------
def measure(sol: EtchSolution, case, level: float) -> tuple[dict, np.ndarray]:
    """Named results at etch distance ``level`` and the front points (rank 0; else empty)."""
    geo = case.geometry
    comm = sol.domain.comm
    axisym = geo.dimension == 2
    vol = comm.allreduce(etched_measure(sol.X, sol.f, level, axisym), op=MPI.SUM)
    pts = front_points(sol.X, sol.f, level)
    gathered = comm.gather(pts, root=0)
    sym = {"none": 1, "half": 2, "quarter": 4}[geo.symmetry]
    holes = int(np.prod(geo.holes))
    if comm.rank != 0:
        return {}, np.zeros((0, geo.dimension))
    P = np.concatenate(gathered)
    zi = geo.interface_z
    R = geo.film.hole_radius
    centres = geo.hole_centres() / UM  # m
    k = geo.dimension - 1  # the vertical coordinate
    depth = float((zi - P[:, k]).max()) if len(P) else 0.0
    radius = rim_radius(P, centres, R, zi, geo.dimension)
    undercut = radius - R
    res = {
        "etch_distance_um": level * UM,
        "depth_um": depth * UM,
        "undercut_um": undercut * UM,
        "radius_at_film_um": radius * UM,
        "etch_factor": depth / undercut if undercut > 0 else float("inf"),
        "etched_volume_um3": vol * sym * UM**3,
        "etched_volume_per_hole_um3": vol * sym / holes * UM**3,
        "max_shape_error_um": float(np.abs(distance_to_openings(P, centres, R, zi, geo.dimension) - level).max()) * UM
        if len(P) else 0.0,
    }
    return res, P


def exact_reference(geo, level: float) -> dict | None:
    """Closed forms (VALIDATION.md etch 1) when the concavities do not merge."""
    R = geo.film.hole_radius
    if geo.dimension == 3 and int(np.prod(geo.holes)) > 1 and 2 * (R + level) > geo.pitch:
        return None
    vol = isotropic_etch_volume(R, level)
    return {"depth_um": level * UM, "undercut_um": level * UM, "radius_at_film_um": (R + level) * UM,
            "etched_volume_per_hole_um3": vol * UM**3}


def profile(P: np.ndarray, geo, level: float, bins: int = 72) -> np.ndarray:
    """The concavity wall of the first hole as (r, z) points (m, z from the interface), from
    the film/base interface to the axis: front points binned by their angle about the mask
    edge (R, 0), each bin's mean, plus the ends on the interface and on the axis."""
    centres = geo.hole_centres() / UM
    rho, hole = radial(P, centres, geo.dimension)
    first = np.bincount(hole, minlength=len(centres)).argmax()  # a hole with a whole front in the model
    sel = hole == first
    r, z = rho[sel], P[sel, geo.dimension - 1] - geo.interface_z
    R = geo.film.hole_radius
    theta = np.arctan2(-z, r - R)
    edges = np.linspace(0.0, theta.max() + 1e-12, bins + 1)
    which = np.clip(np.digitize(theta, edges) - 1, 0, bins - 1)
    pts = [(float(r[which == b].mean()), float(z[which == b].mean())) for b in range(bins) if (which == b).any()]
    top = r[np.abs(z) <= 1e-9 * geo.interface_z]
    depth = float(-z.min())
    out = [(float(top.max()) if len(top) else R + level, 0.0)] + [p for p in pts if p[1] < 0 and p[0] > 0]
    out.append((0.0, -depth))
    return np.array(out)


def run_etch(case, ctx: RunContext) -> dict:
    out, comm, log, t0, source, resolved = ctx.out, ctx.comm, ctx.log, ctx.t0, ctx.source, ctx.resolved
    runner = _reaction_limited if case.etch.model == "reaction_limited" else _mixed
    history, profiles, extra = runner(case, comm, log)
    frames = extra.pop("_fields")

    def write_fields(ff) -> None:
        for t, domain, functions in frames:
            ff.write("front", domain, functions, t)

    fields = field_hook(comm, case.fields.vtx, write_fields)
    return write_from_root(out, comm, lambda staging: _write(case, history, profiles, extra, staging, t0, source,
                                                             resolved, comm.size, fields.files), fields=fields)


def _reaction_limited(case, comm, log):
    sol = solve_etch(case, comm, log)
    history, profiles, sections = [], [], []
    geo = case.geometry
    for t in case.etch.times:
        level = case.etch.rate * t
        res, P = measure(sol, case, level)
        if comm.rank == 0:
            history.append({"time_min": t / 60.0, **res})
            profiles.append(profile(P, geo, level))
            if geo.dimension == 3:
                # the front where it crosses the vertical plane through the first hole row
                y = geo.hole_centres()[:, 1].max() / UM
                near = np.abs(P[:, 1] - y) <= 0.5 * geo.front_element_size
                sections.append(np.column_stack([P[near, 0], P[near, 2] - geo.interface_z]))
    extra = {"dofs": sol.vertices, "reference": exact_reference(case.geometry, case.etch.rate * case.etch.times[-1]),
             "solver": {"method": "arrival distance (source-tracking relaxation)", "rounds": sol.front.rounds,
                        "updates": sol.front.updates, "solve_s": round(sol.solve_s, 4),
                        "mesh_s": round(sol.mesh_s, 4)},
             "mesh": {"cells": sol.domain.info["cells"], "vertices": sol.vertices}, "_sections": sections,
             "_fields": arrival_fields(sol, case.etch.rate, case.etch.times)}
    return history, profiles, extra


def _mixed(case, comm, log):
    from solver.etch.transport import Etchant, run_transport
    from solver.core.materials import library_material

    geo, spec = case.geometry, case.etch.etchant
    metal = library_material(spec.metal)
    etchant = Etchant(spec.concentration, spec.diffusivity, spec.rate_constant, spec.stagnant_layer,
                      metal.molar_mass / metal.density, spec.stoichiometry, spec.diffusion == "transient")
    log.info("mixed-control etch: Da = k delta / D = %.3g, reaction-limited rate %.4g um/min", etchant.damkoehler,
             etchant.reaction_limited_rate * 6e7)
    if geo.dimension == 3:
        return _mixed_3d(case, etchant, comm, log)
    run = run_transport(geo, etchant, list(case.etch.times), case.etch.max_advance, comm, log)
    R = geo.film.hole_radius
    history, profiles = [], []
    for step in run.steps[1:]:
        wall = step.profile
        history.append(_mixed_row(etchant, step.time, -wall[-1, 1], float(-wall[:, 1].min()), wall[0, 0], R,
                                  step.volume, step.volume, step.mass_balance))
        profiles.append(wall)
    extra = {"dofs": run.steps[-1].dofs, "reference": None,
             "solver": {"method": ("transient diffusion (P2, backward Euler, MUMPS)" if etchant.transient else
                                   "quasi-steady diffusion (P2, MUMPS)")
                        + " with explicit wall motion, remeshed each step", "steps": run.wall_steps,
                        "start_steps": run.start_steps, "damkoehler": etchant.damkoehler,
                        "stefan_number": etchant.beta,
                        "solve_s": round(run.solve_s, 4), "mesh_s": round(run.mesh_s, 4)},
             "damkoehler": etchant.damkoehler,
             "_fields": [(t, domain, [c, wall_distance_field(c.function_space, wall, geo.base_thickness)])
                         for t, domain, c, wall in run.liquids]}
    return history, profiles, extra


def _mixed_3d(case, etchant, comm, log):
    """The 3D mixed model (a fixed mesh cut by the front, ``etch_cut``): the same results as
    the axisymmetric one, read off the front points of each time."""
    from solver.etch.cut import run_cut_etch

    geo = case.geometry
    run = run_cut_etch(geo, etchant, list(case.etch.times), case.etch.max_advance, comm, log,
                       case.mesh.algorithm, case.mesh.threads)
    history, profiles, sections = [], [], []
    if comm.rank == 0:
        sym = {"none": 1, "half": 2, "quarter": 4}[geo.symmetry]
        holes = int(np.prod(geo.holes))
        R, zi = geo.film.hole_radius, geo.interface_z
        centres = geo.hole_centres() / UM
        y = centres[:, 1].max()
        whole = _whole_hole(centres, geo)
        for snap in run.snapshots:
            P = snap.front
            # on the axis of a hole the model holds whole, as the axisymmetric model reports it
            axis = np.linalg.norm(P[:, :2] - whole, axis=1) <= geo.front_element_size
            depth = float((zi - P[axis, 2]).max()) if axis.any() else 0.0
            history.append(_mixed_row(etchant, snap.time, depth, float((zi - P[:, 2]).max()),
                                      rim_radius(P, centres, R, zi, 3), R, snap.volume * sym,
                                      snap.volume * sym / holes, snap.mass_balance))
            profiles.append(profile(P, geo, depth))
            near = np.abs(P[:, 1] - y) <= 0.5 * geo.front_element_size
            sections.append(np.column_stack([P[near, 0], P[near, 2] - zi]))
    extra = {"dofs": run.dofs, "reference": None,
             "solver": {"method": "quasi-steady diffusion (P1, MUMPS) on a fixed mesh cut by the front, "
                                  "front moved along its normal", "steps": run.steps, "damkoehler": etchant.damkoehler,
                        "stefan_number": etchant.beta, "wall_triangles": run.largest_wall_triangles,
                        "solve_s": round(run.solve_s, 4), "mesh_s": round(run.mesh_s, 4)},
             "mesh": {"cells": run.cells}, "damkoehler": etchant.damkoehler, "_sections": sections,
             "_fields": [(snap.time, run.domain, _cut_fields(run.space, snap)) for snap in run.snapshots]}
    return history, profiles, extra


def _mixed_row(etchant, t, depth, deepest, radius, R, volume, per_hole, balance) -> dict:
    """One time of a mixed etch (SI in, the history's units out); the reaction-limited depth
    is the same time at the kinetic rate."""
    d0 = etchant.reaction_limited_rate * t
    return {
        "time_min": t / 60.0, "depth_um": depth * UM, "deepest_um": deepest * UM, "undercut_um": (radius - R) * UM,
        "radius_at_film_um": radius * UM, "etch_factor": depth / (radius - R) if radius > R else float("inf"),
        "etched_volume_um3": volume * UM**3, "etched_volume_per_hole_um3": per_hole * UM**3,
        "mass_balance_rel": balance, "reaction_limited_depth_um": d0 * UM, "depth_over_reaction_limited": depth / d0,
    }


# -- fields: the front at each requested time -------------------------------------------------
def arrival_fields(sol: EtchSolution, rate: float, times) -> list:
    """(t, domain, functions) per etch time: the arrival distance (exact at the vertices),
    the arrival time and the front's level arrival - v t (negative where etched; on the metal
    side the distance to the front). NaN where the etch never arrives (the film, the base
    beyond the last front plus a cell)."""
    V = fem.functionspace(sol.domain.mesh, ("Lagrange", 1))  # the numbering of the graph's P1 space
    d = sol.front.distance
    d = np.where(np.isfinite(d), d, np.nan)
    arrival = fem.Function(V, name="arrival_distance_m")
    arrival.x.array[: len(d)] = d
    arrival_time = fem.Function(V, name="arrival_time_s")
    arrival_time.x.array[:] = arrival.x.array / rate
    frames = []
    for t in times:
        level = fem.Function(V, name="signed_distance_m")
        level.x.array[:] = arrival.x.array - rate * t
        frames.append((t, sol.domain, [arrival, arrival_time, level]))
    return frames


def wall_distance_field(V, wall: np.ndarray, interface_height: float, chunk: int = 4096):
    """The signed distance to an axisymmetric wall (r, z from the film/base interface, the
    interface point to the axis point) at V's dofs: negative in the concavity, positive in
    the metal, NaN above the interface (the film and the liquid over it)."""
    from matplotlib.path import Path as Polygon

    p = V.tabulate_dof_coordinates()[:, :2] - np.array([0.0, interface_height])
    a, ab = wall[:-1], np.diff(wall, axis=0)
    length2 = np.maximum((ab * ab).sum(axis=1), 1e-300)
    dist = np.empty(len(p))
    for i in range(0, len(p), chunk):  # (points, segments) at a time: bounded memory
        q = p[i:i + chunk, None, :] - a[None]
        s = np.clip((q * ab[None]).sum(axis=2) / length2, 0.0, 1.0)
        dist[i:i + chunk] = np.linalg.norm(q - s[..., None] * ab[None], axis=2).min(axis=1)
    # The cavity's whole section (mirrored about the axis), so that points on the axis are
    # inside it, tested a hair below the interface, so that those in the opening are too.
    tol = 1e-9 * max(float(np.abs(wall).max()), 1e-300)
    section = np.vstack([wall, (wall * [-1.0, 1.0])[::-1]])
    inside = Polygon(section).contains_points(p - [0.0, tol])
    f = fem.Function(V, name="signed_distance_m")
    f.x.array[:] = np.where(p[:, 1] > tol, np.nan, np.where(inside, -dist, dist))
    return f


def _cut_fields(V, snap) -> list:
    """The 3D mixed etch at one time: the signed distance to the front (first order away
    from it) and the etchant, NaN where no front is tracked (the film and the liquid)."""
    phi = fem.Function(V, name="signed_distance_m")
    phi.x.array[:] = np.where(np.isfinite(snap.phi), snap.phi, np.nan)
    c = fem.Function(V, name="etchant_mol_per_m3")
    c.x.array[:] = snap.concentration
    return [phi, c]


def _whole_hole(centres: np.ndarray, geo) -> np.ndarray:
    """The centre of a hole inside the modelled sector (on the symmetry planes for a half
    or quarter model), where the depth on the axis is read."""
    lo = np.array([geo.extent()[0] / 2 if geo.symmetry != "none" else 0.0,
                   geo.extent()[1] / 2 if geo.symmetry == "quarter" else 0.0]) / UM
    inside = np.all(centres >= lo - 1e-12, axis=1)
    return centres[np.flatnonzero(inside)[0]]


def _write(case, history, profiles, extra, staging, t0, source, resolved, ranks, field_files) -> dict:
    from solver.etch.picture import etch_picture

    last = history[-1]
    results = {k: v for k, v in last.items() if k != "time_min"}
    results["etch_time_min"] = last["time_min"]
    keys = list(history[0])
    write_csv(staging.file("etch_history.csv"), keys, np.array([[h[k] for k in keys] for h in history]))
    rows = []
    for h, prof in zip(history, profiles):
        rows += [(h["time_min"], r * UM, z * UM) for r, z in prof]
    write_csv(staging.file("profiles.csv"), ["time_min", "r_um", "z_um"], np.array(rows))
    atomic_write_text(staging.file("concavity.toml"), concavity_toml(
        profiles[-1], "The etched concavity, for the substrate geometry (process B's plating structure):"))
    files = ["summary.json", "case.resolved.json", "etch_history.csv", "profiles.csv", "concavity.toml",
             *field_files]
    if case.output.picture and etch_picture(staging.file("etch.png"), case, history, profiles,
                                            extra.get("_sections")):
        files.append("etch.png")
    atomic_write_json(staging.file("case.resolved.json"), resolved)
    data = summary(case.name, case.kind, "ok", ranks, extra["dofs"], time.perf_counter() - t0, results,
                   extra["reference"], source=source, files=files, history=history,
                   **{k: v for k, v in extra.items() if k not in ("dofs", "reference", "_sections")})
    atomic_write_json(staging.file("summary.json"), data)
    return data
