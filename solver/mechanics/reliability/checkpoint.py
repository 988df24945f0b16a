"""The checkpoint of a reliability run, written after every step and read by ``--restart``.

It holds everything the next step depends on, in an order that does not depend on the
rank count: quadrature-point states by the mesh's original (gmsh) cell number, the
displacement and its last increment by dof coordinates, and the step records, cycles and
stepper state as JSON. A run resumed from it takes the same steps as one that never
stopped. Rank 0 writes it atomically (a temporary file, then a rename)."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
from mpi4py import MPI

from solver.core.case import CaseError
from solver.mechanics.reliability.cycles import StepRecord

NAME = "checkpoint.npz"


class Layout:
    """The maps between this rank's arrays and the global, partition-free order."""

    def __init__(self, problem):
        self.comm = problem.domain.comm
        msh = problem.domain.mesh
        V = problem.V
        self.bs = V.dofmap.index_map_bs
        self.n_owned = V.dofmap.index_map.size_local
        gdim = msh.geometry.dim
        X = V.tabulate_dof_coordinates()[: self.n_owned, :gdim]
        parts = self.comm.gather(X)
        if self.comm.rank == 0:
            allX = np.concatenate(parts)
            self.order = np.lexsort(allX.T[::-1])
            self.coords = allX[self.order]
            self.counts = [len(p) for p in parts]
        orig = msh.topology.original_cell_index
        self.cell_keys = {r: np.asarray(orig)[p["cells"]] for r, p in problem.points.items()}
        self.X = X
        self.nq = problem.nq
        self.snapshots: dict[int, dict] = {}  # snapshot number -> its gathered arrays (rank 0)

    # -- displacement-like arrays (owned dofs x bs) -------------------------------------------------
    def gather_dofs(self, values: np.ndarray) -> np.ndarray | None:
        parts = self.comm.gather(values.reshape(-1, self.bs)[: self.n_owned])
        if self.comm.rank != 0:
            return None
        return np.concatenate(parts)[self.order]

    def scatter_dofs(self, coords: np.ndarray | None, values: np.ndarray | None, out: np.ndarray) -> None:
        """Fill the owned entries of ``out`` from (coords, values) held on rank 0."""
        from scipy.spatial import cKDTree

        coords, values = self.comm.bcast((coords, values), root=0)
        dist, idx = cKDTree(coords).query(self.X)
        scale = max(float(np.abs(coords).max()), 1e-30)
        if len(dist) and dist.max() > 1e-9 * scale:
            raise CaseError("--restart: the checkpoint's mesh is not this case's mesh")
        out.reshape(-1, self.bs)[: self.n_owned] = values[idx]

    # -- point states, by original cell number -------------------------------------------------------
    def gather_points(self, region: str, values: np.ndarray):
        keys = self.cell_keys[region]
        parts = self.comm.gather((keys, values.reshape(len(keys), self.nq, -1)))
        if self.comm.rank != 0:
            return None, None
        k = np.concatenate([p[0] for p in parts])
        v = np.concatenate([p[1] for p in parts])
        order = np.argsort(k)
        return k[order], v[order]

    def scatter_points(self, region: str, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
        mine = self.cell_keys[region]
        pos = np.searchsorted(keys, mine)
        if len(mine) and (pos.max() >= len(keys) or not np.array_equal(keys[pos], mine)):
            raise CaseError("--restart: the checkpoint's mesh is not this case's mesh")
        return values[pos].reshape(len(mine) * self.nq, -1)

    def gather_cells(self, region_values: dict[str, np.ndarray]):
        """Per-cell arrays of the owned cells of each region, keyed by original cell."""
        return {r: self.gather_cell(r, v) for r, v in region_values.items()}

    def gather_cell(self, region: str, values: np.ndarray):
        keys = self.cell_keys[region]
        parts = self.comm.gather((keys, values))
        if self.comm.rank != 0:
            return None
        k = np.concatenate([p[0] for p in parts])
        v = np.concatenate([p[1] for p in parts])
        order = np.argsort(k)
        return k[order], v[order]


def _record_json(r: StepRecord) -> dict:
    return {"time": r.time, "temperature": r.temperature, "cycle": r.cycle, "warpage": r.warpage,
            "curvature": r.curvature, "newton": r.newton, "linear": r.linear, "seconds": r.seconds,
            "material_seconds": r.material_seconds,
            "volumes": {n: {"inelastic_strain": list(map(float, v["inelastic_strain"])),
                            "accumulated": v["accumulated"], "work": v["work"]} for n, v in r.volumes.items()},
            "probe": None if r.probe is None else {k: list(map(float, v)) for k, v in r.probe.items()}}


def _record(d: dict) -> StepRecord:
    rec = StepRecord(d["time"], d["temperature"], d["cycle"], d["warpage"], d["curvature"],
                     {n: {"inelastic_strain": np.array(v["inelastic_strain"]), "accumulated": v["accumulated"],
                          "work": v["work"]} for n, v in d["volumes"].items()},
                     None if d["probe"] is None else {k: np.array(v) for k, v in d["probe"].items()},
                     d["newton"], d["linear"], d["seconds"], d["material_seconds"])
    return rec


def save(path: Path, sim, layout: Layout, t: float, stepper) -> None:
    """Collective; rank 0 writes."""
    prob = sim.problem
    arrays: dict[str, np.ndarray] = {}
    u = layout.gather_dofs(prob.u_committed)
    inc = prob.last_increment
    du = layout.gather_dofs(inc[0]) if inc is not None else None
    for region in sim.inelastic_regions:
        keys, state = layout.gather_points(region, prob.points[region]["state"])
        if layout.comm.rank == 0:
            arrays[f"keys_{region}"], arrays[f"state_{region}"] = keys, state
        start = (sim._work_at_cycle_start or {}).get(region)
        if start is not None:
            _, w = layout.gather_points(region, start)
            if layout.comm.rank == 0:
                arrays[f"work_start_{region}"] = w
    for region in sim.case.load.solidify:
        keys, formed = layout.gather_points(region, prob.points[region].get(
            "formed_strain", np.zeros((len(layout.cell_keys[region]) * layout.nq, 6))))
        if layout.comm.rank == 0:
            arrays[f"formed_keys_{region}"], arrays[f"formed_{region}"] = keys, formed
    snaps = []
    for i, (label, ts, u_arr, fields) in enumerate(sim.snapshots):
        if i not in layout.snapshots:  # a snapshot never changes: gathered once, written every time
            layout.snapshots[i] = _gather_snapshot(layout, prob, i, u_arr, fields)
        arrays.update(layout.snapshots[i])
        snaps.append([label, ts])
    if layout.comm.rank != 0:
        return
    meta = {"digest": sim.digest, "time": t, "stepper": stepper.state(),
            "records": [_record_json(r) for r in sim.records],
            "peaks": getattr(sim, "_peaks", []), "cycles_done": len(sim.cycles),
            "reports": [[r.iterations, r.linear_iterations, r.line_search_cuts] for r in sim.reports],
            "material_s": sim.material_s, "step_s": sim.step_s,
            "increment_dt": None if inc is None else inc[1], "snapshots": snaps}
    arrays["coords"], arrays["u"] = layout.coords, u
    if du is not None:
        arrays["du"] = du
    tmp = path.with_name(f".{path.name}.tmp.npz")
    with open(tmp, "wb") as f:
        np.savez(f, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
    os.replace(tmp, path)


def _gather_snapshot(layout: Layout, prob, i: int, u_arr: np.ndarray, fields: dict) -> dict:
    """Cycle-end snapshot ``i`` as the checkpoint's arrays, in its order (on rank 0;
    empty elsewhere): ``snap_u_<i>`` and, per field, ``snap_<field>_<i>`` and its ``_keys``."""
    out = {f"snap_u_{i}": layout.gather_dofs(u_arr)}
    for name, values in fields.items():
        kvs = [layout.gather_cell(region, values[p["cells"]]) for region, p in prob.points.items()]
        if layout.comm.rank == 0:
            out[f"snap_{name}_{i}"] = np.concatenate([v for _, v in kvs])
            out[f"snap_{name}_{i}_keys"] = np.concatenate([k for k, _ in kvs])
    return out if layout.comm.rank == 0 else {}


def check(out: Path, digest: str) -> None:
    """The kind's restart check: OUT's checkpoint, if there is one, is readable and of this
    case (CaseError else)."""
    load(Path(out) / NAME, digest, MPI.COMM_SELF)


def load(path: Path, digest: str, comm) -> tuple[dict | None, dict | None]:
    """(meta, arrays) on rank 0, (meta, None) elsewhere; (None, None) if there is no
    checkpoint yet; CaseError if it is foreign or malformed."""
    message, meta, arrays = None, None, None
    if comm.rank == 0:
        try:
            with np.load(path) as data:
                arrays = {k: data[k] for k in data.files}
            meta = json.loads(arrays.pop("meta").tobytes().decode())
            if meta.get("digest") != digest:
                message = (f"--restart: {path} belongs to a different case (the case file changed since it "
                           "was written)")
        except FileNotFoundError:
            meta, arrays = None, None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, EOFError, zipfile.BadZipFile) as exc:
            message = f"--restart: cannot read {path}: {type(exc).__name__}: {exc}"
    message, meta = comm.bcast((message, meta), root=0)
    if message:
        raise CaseError(message)
    return meta, arrays


def restore(sim, layout: Layout, meta: dict, arrays: dict | None):
    """Put the checkpoint's state into ``sim``; returns the time to go on from."""
    comm = layout.comm
    prob = sim.problem
    coords = arrays["coords"] if comm.rank == 0 else None
    if meta["increment_dt"] is not None:
        du = _with_ghosts(prob, layout, coords, arrays["du"] if comm.rank == 0 else None)
        prob.last_increment = (du, meta["increment_dt"])
    prob.u.x.array[:] = _with_ghosts(prob, layout, coords, arrays["u"] if comm.rank == 0 else None)
    prob.u_committed = prob.u.x.array.copy()
    for region in sim.inelastic_regions:
        keys, state = comm.bcast((arrays[f"keys_{region}"], arrays[f"state_{region}"]) if comm.rank == 0
                                 else None, root=0)
        prob.points[region]["state"] = layout.scatter_points(region, keys, state)
    for region in sim.case.load.solidify:
        keys, formed = comm.bcast((arrays[f"formed_keys_{region}"], arrays[f"formed_{region}"])
                                  if comm.rank == 0 else None, root=0)
        prob.points[region]["formed_strain"] = layout.scatter_points(region, keys, formed)
    starts = {}
    for region in sim.inelastic_regions:
        w = comm.bcast(arrays.get(f"work_start_{region}") if comm.rank == 0 else None, root=0)
        if w is not None:
            keys = comm.bcast(arrays[f"keys_{region}"] if comm.rank == 0 else None, root=0)
            starts[region] = layout.scatter_points(region, keys, w).ravel()
    sim._work_at_cycle_start = starts or None
    sim.records = [_record(d) for d in meta["records"]]
    sim._peaks = meta["peaks"]
    from solver.mechanics.inelastic_problem import NewtonReport

    sim.reports = [NewtonReport(iterations=a, linear_iterations=b, line_search_cuts=c) for a, b, c in meta["reports"]]
    sim.material_s, sim.step_s = meta["material_s"], meta["step_s"]
    sim.snapshots = []
    for i, (label, ts) in enumerate(meta["snapshots"]):
        u_arr = _with_ghosts(prob, layout, coords, arrays[f"snap_u_{i}"] if comm.rank == 0 else None)
        fields = {}
        for name in ("accumulated_inelastic_strain", "inelastic_work_J_per_m3", "von_mises_Pa"):
            keys, vals = comm.bcast((arrays[f"snap_{name}_{i}_keys"], arrays[f"snap_{name}_{i}"])
                                    if comm.rank == 0 else None, root=0)
            arr = np.zeros(_n_cells(prob))
            order = np.argsort(keys)
            keys, vals = keys[order], vals[order]
            for region, p in prob.points.items():
                mine = layout.cell_keys[region]
                arr[p["cells"]] = vals[np.searchsorted(keys, mine)]
            fields[name] = arr
        sim.snapshots.append((label, ts, u_arr, fields))
    return meta["time"], meta["stepper"]


def _with_ghosts(prob, layout, coords, values) -> np.ndarray:
    """A displacement-like array from the checkpoint, ghosts updated (through prob.u)."""
    keep = prob.u.x.array.copy()
    layout.scatter_dofs(coords, values, prob.u.x.array)
    prob.u.x.scatter_forward()
    out = prob.u.x.array.copy()
    prob.u.x.array[:] = keep
    return out


def _n_cells(prob) -> int:
    imap = prob.domain.mesh.topology.index_map(prob.domain.tdim)
    return imap.size_local + imap.num_ghosts
