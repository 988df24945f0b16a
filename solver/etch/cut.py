"""Mixed-control etch in 3D: the etchant on one fixed mesh, cut by the front.

Neighbouring concavities merge, and a wall remeshed from its own points (the axisymmetric
model, ``etch_transport``) cannot follow a change of topology. In 3D the front is the zero
level set of a signed distance phi (negative in the liquid) on the vertices of one gmsh mesh
of the base, the film and the etchant (``masked_base`` with ``liquid_height`` = the stagnant
layer), and the liquid is the etchant region plus the base where phi <= 0. Every step:

1. Cells the front crosses are cut by the plane of the linear phi. The liquid part of
   each cell and the wall inside it (a triangle or a quadrilateral) are exact for that
   plane: no staircase, no smeared interface.
2. Quasi-steady diffusion, P1:  int_liquid D grad c . grad w + int_wall k c w = 0 with
   c = c0 on the bulk. P1 gradients are constant per cell, so the volume term is the
   cell's liquid fraction times its whole-cell integral (a DG0 coefficient in UFL); the
   wall term is integrated on the wall triangles outside UFL and added to the matrix.
   Vertices with no liquid around them are held at 0.
3. The front moves along its normal: phi(x) -= v(x) dt with v = V_m k c / s the recession
   speed of the wall triangle nearest to x (the speed extended along the normals, so phi
   stays a distance to first order). Where the speed is uniform this is exact at the
   vertices: the front is the P1 level set of the true distance at every step, not a
   re-measurement from the last step's flat pieces, so no error accumulates with steps.

The etched volume is compared with V_m / s times the etchant consumed (the mass balance).
The P1 front is piecewise flat, with kinks between cells: its area, and so the etchant it
consumes, exceeds the smooth wall's by a fraction that falls with the cell size.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import ufl
from mpi4py import MPI
from scipy.spatial import cKDTree

from dolfinx import fem, la

from solver.core import interrupt
from solver.core.domain import build_domain
from solver.core.errors import SolveError
from solver.core.linalg import solve_with_blocks
from solver.core.progress import Progress
from solver.fronts.cut_cells import distance_to_openings, etched_parts, front_pieces, front_points
from solver.fronts.distance import closest_on_triangles

_TRIANGLE_MASS = (np.ones((3, 3)) + np.eye(3)) / 12.0  # int_tri phi_a phi_b / area


@dataclass
class Snapshot:
    time: float
    front: np.ndarray  # (n, 3) front points (rank 0; gathered), m
    volume: float  # etched volume in the model, m^3
    mass_balance: float  # |etched - V_m / s * consumed| / etched, since the start
    phi: np.ndarray | None = None  # the signed distance at the P1 dofs (local), for the fields
    concentration: np.ndarray | None = None  # the etchant there


@dataclass
class CutRun:
    snapshots: list[Snapshot] = field(default_factory=list)
    steps: int = 0
    dofs: int = 0
    cells: int = 0
    mesh_s: float = 0.0
    solve_s: float = 0.0
    largest_wall_triangles: int = 0
    domain: object = None  # the fixed mesh and its P1 space, for the fields
    space: object = None


class CutLiquid:
    """The fixed mesh, the signed distance to the front on its vertices, one step of the etch."""

    def __init__(self, geo, etchant, comm: MPI.Comm, algorithm: str = "hxt", threads: int = 1):
        self.etchant, self.comm = etchant, comm
        self.geo = geo.model_copy(update={"liquid_height": etchant.stagnant_layer})
        t0 = time.perf_counter()
        self.domain = dom = build_domain(self.geo, comm, order=1, algorithm=algorithm, threads=threads)
        self.mesh_s = time.perf_counter() - t0
        msh = dom.mesh
        self.V = V = fem.functionspace(msh, ("Lagrange", 1))
        imap = V.dofmap.index_map
        n = imap.size_local + imap.num_ghosts
        self.x = V.tabulate_dof_coordinates()[:n]
        self.dofs = V.dofmap.list
        n_cells = msh.topology.index_map(3).size_local
        self.base = dom.cells("base")
        self.base_owned = np.flatnonzero(self.base < n_cells)  # positions in self.base
        self.X = self.x[self.dofs[self.base]]  # (b, 4, 3)
        self.cell_volume = np.abs(np.einsum("nd,nd->n", self.X[:, 1] - self.X[:, 0],
                                            np.cross(self.X[:, 2] - self.X[:, 0], self.X[:, 3] - self.X[:, 0]))) / 6
        self.base_vertices = np.unique(self.dofs[self.base])
        fdim = 2
        msh.topology.create_connectivity(fdim, 3)
        # Never etched beyond the refined zone: there the cells are coarse and the front
        # would be as coarse as they are.
        self.zone = geo.etch_zone
        # every hole, those beyond a symmetry plane included (hole_centres holds them all)
        self.opening_distance = distance_to_openings(self.x, geo.hole_centres() / 1e6, geo.film.hole_radius,
                                                     geo.interface_z, 3)
        # Before the first step the front is the opening: the distance to it is a signed
        # distance (the base is all metal).
        self.phi = np.full(n, np.inf)
        self.phi[self.base_vertices] = self.opening_distance[self.base_vertices]
        self.snap = 1e-3 * geo.front_element_size

        DG0 = fem.functionspace(msh, ("DG", 0))
        self.chi = fem.Function(DG0)  # the liquid fraction of each cell
        self.chi.x.array[dom.cells("liquid")] = 1.0
        self.c = fem.Function(V, name="etchant")
        u, w = ufl.TrialFunction(V), ufl.TestFunction(V)
        self.a = fem.form(etchant.diffusivity * self.chi * ufl.inner(ufl.grad(u), ufl.grad(w)) * ufl.dx)
        self.L = fem.form(fem.Constant(msh, 0.0) * w * ufl.dx)
        bulk = fem.locate_dofs_topological(V, fdim, dom.facets("bulk"))
        self.bulk = fem.dirichletbc(fem.Constant(msh, float(etchant.concentration)), bulk, V)
        self.zero = fem.Constant(msh, 0.0)
        self.activity = fem.Function(V)
        self.solves = 0

    # -- one step ------------------------------------------------------------------------------
    def wall(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cut the base by the front: set the liquid fractions; return the wall triangles of
        the owned cells, their cells (positions in self.base) and corner weights."""
        f = self.phi[self.dofs[self.base]]
        # A vertex on the front (the opening at t = 0) counts as liquid, a hair behind it:
        # no wall piece degenerates onto a face shared by two cells.
        f = np.where(np.abs(f) < self.snap, -self.snap, f)
        frac = etched_parts(self.X, f, 0.0) / self.cell_volume
        self.chi.x.array[self.base] = frac
        owned = self.base_owned
        tri, cell, weights = front_pieces(self.X[owned], f[owned], 0.0)
        return tri, owned[cell], weights

    def solve(self, area, cell, weights) -> np.ndarray:
        """Quasi-steady etchant with the kinetics on the wall triangles (their areas, cells and
        corner weights); returns c at the triangles' corners."""
        k = self.etchant.rate_constant
        blocks = k * area[:, None, None] * np.einsum("mai,ab,mbj->mij", weights, _TRIANGLE_MASS, weights)
        cell_dofs = self.dofs[self.base[cell]]
        # vertices of cells with liquid in them carry the concentration; the rest are metal or film
        act = self.activity.x
        act.array[:] = 0.0
        wet = np.flatnonzero(self.chi.x.array > 0)
        act.array[self.dofs[wet].ravel()] = 1.0
        act.scatter_reverse(la.InsertMode.add)
        act.scatter_forward()
        dry = np.flatnonzero(act.array == 0).astype(np.int32)
        bcs = [self.bulk, fem.dirichletbc(self.zero, dry, self.V)]
        self.solves += 1
        solve_with_blocks(self.a, self.L, self.c, bcs, f"etchant3d_{self.solves}",
                          (cell_dofs, cell_dofs, blocks))
        return np.einsum("mcj,mj->mc", weights, self.c.x.array[cell_dofs])

    def advance(self, t: float, dt: float, tri: np.ndarray, speed: np.ndarray) -> None:
        """Move the front for dt by the speed (per triangle corner, linear on each triangle)
        at the nearest point of the wall; ``tri`` and ``speed`` are the whole wall's, the
        same on every rank."""
        comm = self.comm
        if len(tri) == 0:
            return
        verts = self.base_vertices
        x = self.x[verts]
        k = min(8, len(tri))
        _, near = cKDTree(tri.mean(axis=1)).query(x, k=k)
        near = near.reshape(len(x), k).ravel()
        dist, bary = closest_on_triangles(np.repeat(x, k, axis=0), *(tri[near, j] for j in range(3)))
        best = dist.reshape(-1, k).argmin(axis=1) + k * np.arange(len(x))
        v = np.einsum("nc,nc->n", bary[best], speed[near[best]])
        before = self.phi[verts]
        self.phi[verts] = before - v * dt
        etched = verts[(self.phi[verts] <= 0) & (before > 0)]
        beyond = self.opening_distance[etched] > self.zone * (1 + 1e-9)
        if comm.allreduce(bool(beyond.any()), op=MPI.LOR):
            raise SolveError(
                f"the etch front left the refined zone (geometry.etch_zone = {self.zone * 1e6:.4g} um from the "
                f"openings) at {(t + dt) / 60:.4g} min: enlarge geometry.etch_zone", {"time_s": t + dt})

    # -- results ----------------------------------------------------------------------------------
    def etched_volume(self) -> float:
        owned = self.base_owned
        f = self.phi[self.dofs[self.base[owned]]]
        return self.comm.allreduce(float(etched_parts(self.X[owned], f, 0.0).sum()), op=MPI.SUM)

    def front(self) -> np.ndarray:
        owned = self.base_owned
        pts = front_points(self.X[owned], self.phi[self.dofs[self.base[owned]]], 0.0)
        gathered = self.comm.gather(pts, root=0)
        return np.concatenate(gathered) if self.comm.rank == 0 else np.zeros((0, 3))


def run_cut_etch(geo, etchant, times: list[float], max_advance: float, comm: MPI.Comm, log,
                 algorithm: str = "hxt", threads: int = 1) -> CutRun:
    """Etch from the bare openings at t = 0 to each of ``times``. Steps move the fastest wall
    by at most ``max_advance`` and grow by at most 2x; the wall speeds are extrapolated to
    the middle of the step from the last two fronts (Adams-Bashforth, each wall corner taking
    the speed of the last front's nearest corner), and the etchant consumed is the
    trapezoidal integral of the flux over the step."""
    liquid = CutLiquid(geo, etchant, comm, algorithm, threads)
    run = CutRun(dofs=liquid.V.dofmap.index_map.size_global, cells=liquid.domain.info["cells"],
                 mesh_s=liquid.mesh_s, domain=liquid.domain, space=liquid.V)
    log.info("3D mixed etch: fixed mesh of %d cells, %d P1 dofs, meshed in %.1f s", run.cells, run.dofs, run.mesh_s)
    rate = etchant.molar_volume * etchant.rate_constant / etchant.stoichiometry  # v = rate * c
    t0 = time.perf_counter()

    def wall_state():
        tri, cell, weights = liquid.wall()
        area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
        c = liquid.solve(area, cell, weights)  # at the corners
        flux = comm.allreduce(float(etchant.rate_constant * (area * c.mean(axis=1)).sum()), op=MPI.SUM)
        run.largest_wall_triangles = max(run.largest_wall_triangles, comm.allreduce(len(tri), op=MPI.SUM))
        return tri, rate * c, flux

    t, dt_before, consumed = 0.0, math.inf, 0.0
    volume0 = liquid.etched_volume()
    tri, speed, flux = wall_state()
    before = None  # (triangles, corner speeds) of the last whole wall, on every rank
    progress = Progress(times[-1])
    for target in times:
        while t < target * (1 - 1e-12):
            interrupt.check(comm)
            v_max = comm.allreduce(float(speed.max()) if len(speed) else 0.0, op=MPI.MAX)
            if v_max <= 0:
                raise SolveError("no etchant reaches the metal (the wall's concentration is zero everywhere)",
                                 {"time_s": t})
            dt = min(max_advance / v_max, target - t, 2 * dt_before)
            moving = speed
            if before is not None and len(tri):
                # corners shared by two triangles have one speed, so the nearest is unambiguous
                _, j = cKDTree(before[0].reshape(-1, 3)).query(tri.reshape(-1, 3))
                moving = np.maximum(speed + 0.5 * dt / dt_before * (speed - before[1].ravel()[j].reshape(speed.shape)),
                                    0.0)
            wall = np.concatenate(comm.allgather(tri))  # the whole wall, on every rank
            before = (wall, np.concatenate(comm.allgather(speed)))
            liquid.advance(t, dt, wall, np.concatenate(comm.allgather(moving)))
            t += dt
            tri, speed, flux_after = wall_state()
            consumed += 0.5 * (flux + flux_after) * dt
            flux, dt_before = flux_after, dt
            run.steps += 1
        volume = liquid.etched_volume() - volume0
        expected = etchant.molar_volume / etchant.stoichiometry * consumed
        balance = abs(volume - expected) / volume if volume > 0 else 0.0
        run.snapshots.append(Snapshot(t, liquid.front(), volume, balance, liquid.phi.copy(), liquid.c.x.array.copy()))
        log.info("t = %.4g s: %d steps, etched %.4g um^3, mass balance %.2e  [%s]", t, run.steps, volume * 1e18, balance,
                 progress.tag(t))
    run.solve_s = comm.allreduce(time.perf_counter() - t0, op=MPI.MAX)
    return run
