"""Mixed-control isotropic etch (axisymmetric hole): etchant diffusion in the liquid, first-
order kinetics on the metal, and the wall moved by the flux.

Quasi-steady diffusion (the front moves slowly against diffusion over the cavity):

    div(D grad c) = 0 in the liquid (stagnant layer of thickness delta above the film,
                      the hole and the cavity), c = c0 at the top of the layer (bulk),
    -D dc/dn = k c on the metal (n out of the liquid), no flux through the film (mask).

The wall recedes along its normal at v = V_m k c / s (V_m the molar volume of the metal,
s moles of etchant per mole of metal). The Damkoehler number Da = k delta / D switches
between the reaction-limited limit (Da -> 0: c = c0 everywhere, v = V_m k c0 / s, the
exact isotropic shape) and diffusion control (Da -> infinity). Every step the liquid is
rebuilt by the ``substrate`` geometry from the current wall profile (``meshes/``); the
wall points move explicitly with a step bounded by ``max_advance``; the etched volume of
each step is compared with V_m / s times the integrated flux (the mass balance).

The etch starts from an isotropic dimple of depth ``max_advance`` timed by its own flux.

Transient diffusion (``Etchant.transient``: a quiescent liquid, where the diffusion layer
grows with the etch and no steady state exists) keeps dc/dt = div(D grad c), by backward
Euler on each remeshed liquid from the last liquid's concentration carried over (the
sliver the wall receded through takes the wall's value). Fresh etchant (c = c0) meets the
starting dimple at t = 0; its etch time is that of the consumed etchant. The liquid is
graded from ``front_element_size`` at the wall to ``element_size``, so it can be many
diffusion lengths deep. In 1D this is the Stefan problem, s = 2 lam sqrt(D t).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import ufl
from matplotlib.path import Path
from mpi4py import MPI
from scipy.spatial import cKDTree

import dolfinx.geometry
import dolfinx.mesh
from dolfinx import fem

from meshes import BumpedSubstrate, GeometryError

from solver.core import interrupt
from solver.core.domain import build_domain
from solver.core.errors import SolveError
from solver.core.linalg import solve_scalar
from solver.core.progress import Progress
from solver.fronts.polyline import (
    arclength_fraction,
    hat_r_weights,
    isotropic_profile,
    profile_volume,
    segment_hits,
    weighted_normals,
)


@dataclass
class Etchant:
    concentration: float  # c0, mol/m^3
    diffusivity: float  # D, m^2/s
    rate_constant: float  # k, m/s
    stagnant_layer: float  # delta, m
    molar_volume: float  # V_m, m^3/mol
    stoichiometry: float  # s, mol etchant per mol metal
    transient: bool = False  # dc/dt kept (a quiescent liquid); else quasi-steady

    @property
    def beta(self) -> float:
        """c0 V_m / s: the etched volume per volume of etchant, the Stefan number of the etch."""
        return self.concentration * self.molar_volume / self.stoichiometry

    @property
    def damkoehler(self) -> float:
        return self.rate_constant * self.stagnant_layer / self.diffusivity

    @property
    def reaction_limited_rate(self) -> float:
        return self.molar_volume * self.rate_constant * self.concentration / self.stoichiometry


@dataclass
class Step:
    time: float
    profile: np.ndarray  # (n, 2) wall (r, z from the interface), interface point to axis point
    flux_integral: float  # mol/s of etchant consumed on the wall
    volume: float  # etched volume (m^3) of the profile
    mass_balance: float  # |etched volume - V_m / s * integrated flux| / etched volume, since the start
    dofs: int


@dataclass
class TransportRun:
    steps: list[Step] = field(default_factory=list)
    wall_steps: int = 0  # wall motions
    start_steps: int = 0  # backward Euler steps of the fresh etchant on the starting dimple (transient)
    mesh_s: float = 0.0
    solve_s: float = 0.0
    # (time, domain, concentration, wall) of the liquid at each requested time, for the fields
    liquids: list = field(default_factory=list, repr=False)


def liquid_geometry(geo, profile: np.ndarray, etchant: Etchant) -> BumpedSubstrate:
    """The substrate geometry (etched stage, axisymmetric) with this wall and the stagnant
    layer as electrolyte: the liquid is meshed by ``meshes/``."""
    f = geo.film

    def m(value) -> str:
        return f"{float(value)!r} m"

    return BumpedSubstrate.model_validate({
        "type": "substrate", "dimension": 2, "stage": "etched",
        "pitch": m(geo.pitch), "margin": m(geo.edge), "base_thickness": m(geo.base_thickness),
        "film": {"thickness": m(f.thickness), "hole_radius": m(f.hole_radius), "taper": f"{float(f.taper)!r} rad"},
        "concavity": {"profile": [(m(r), m(min(z, 0.0))) for r, z in profile]},
        "electrolyte": {"height": m(etchant.stagnant_layer), "cathode_element_size": m(geo.front_element_size)},
        "element_size": m(geo.element_size),
        "element_sizes": {"electrolyte": m(geo.element_size)},
    })


class Liquid:
    """The liquid for one wall (r, z from the interface), meshed by ``meshes/``, with the
    etchant's concentration (P2) and the forms of one diffusion step: backward Euler from
    ``previous`` over ``dt``, or the quasi-steady balance for ``dt = None``."""

    def __init__(self, geo, profile: np.ndarray, etchant: Etchant, comm: MPI.Comm):
        t0 = time.perf_counter()
        domain = build_domain(liquid_geometry(geo, profile, etchant), comm)
        self.mesh_s = time.perf_counter() - t0
        self.geo, self.profile, self.etchant, self.domain = geo, profile, etchant, domain
        msh = domain.mesh
        V = fem.functionspace(msh, ("Lagrange", 2))
        c, w = ufl.TrialFunction(V), ufl.TestFunction(V)
        r = ufl.SpatialCoordinate(msh)[0]
        dx = ufl.Measure("dx", domain=msh, subdomain_data=domain.cell_tags)
        dS = ufl.Measure("dS", domain=msh, subdomain_data=domain.facet_tags)
        liquid, wall = domain.regions["electrolyte"], domain.boundaries["cathode"]
        D, k = etchant.diffusivity, etchant.rate_constant
        self.previous = fem.Function(V, name="etchant_before_mol_per_m3")
        self.inverse_dt = fem.Constant(msh, 0.0)  # 1 / dt; 0 for the quasi-steady balance
        # Scaled by 1 / (D R): entries of order one next to the unit rows of the Dirichlet
        # conditions (in SI they are 1e-16 .. 1e-12, and the factorisation reports a zero pivot).
        scale = 1.0 / (D * geo.film.hole_radius)
        a = scale * (self.inverse_dt * c * w * r * dx(liquid) + D * ufl.inner(ufl.grad(c), ufl.grad(w)) * r * dx(liquid)
                     + k * c("+") * w("+") * r("+") * dS(wall))
        # A zero term over every cell puts the solids' dofs in the sparsity pattern: without it
        # their Dirichlet rows get no diagonal and the matrix is singular.
        a += fem.Constant(msh, 0.0) * c * w * dx
        L = scale * self.inverse_dt * self.previous * w * r * dx(liquid)
        self.a, self.L = fem.form(a), fem.form(L)
        # Dofs of the solids only (not touching the liquid) carry no etchant.
        tdim = domain.tdim
        self.liquid_cells = domain.cells("electrolyte")
        self.liquid_dofs = np.unique(V.dofmap.list[self.liquid_cells])
        solid_dofs = np.setdiff1d(np.unique(V.dofmap.list[np.setdiff1d(np.arange(len(V.dofmap.list)),
                                                                        self.liquid_cells)]), self.liquid_dofs)
        bulk = fem.locate_dofs_topological(V, tdim - 1, domain.facets("bulk"))
        self.bcs = [fem.dirichletbc(np.float64(etchant.concentration), bulk, V),
                    fem.dirichletbc(np.float64(0.0), solid_dofs.astype(np.int32), V)]
        self.c = fem.Function(V, name="etchant_mol_per_m3")
        self.flux_form = fem.form(2 * math.pi * k * self.c("+") * r("+") * dS(wall))
        self.dofs = V.dofmap.index_map.size_global
        self.wall_concentration = None

    def fresh(self) -> None:
        """The liquid as poured: the bulk concentration everywhere."""
        self.previous.x.array[:] = self.etchant.concentration
        self.previous.x.scatter_forward()

    def carry_over(self, before: "Liquid") -> None:
        """The concentration of the liquid ``before`` (the last wall's) onto this one. The
        sliver the wall receded through was metal then: it takes the last wall's
        concentration at the nearest wall point (the concentration is continuous across the
        moving wall), not the zero of the metal's cells."""
        V = self.previous.function_space
        msh = V.mesh
        cells = np.arange(msh.topology.index_map(msh.topology.dim).size_local, dtype=np.int32)
        data = fem.create_interpolation_data(V, before.c.function_space, cells, padding=1e-10)
        self.previous.interpolate_nonmatching(before.c, cells, data)
        x = V.tabulate_dof_coordinates()[self.liquid_dofs, :2] - np.array([0.0, self.geo.base_thickness])
        below = x[:, 1] < 0.0
        old = Path(np.vstack([[0.0, 0.0], before.profile, [0.0, 0.0]]))
        tol = 1e-6 * self.geo.front_element_size
        sliver = below & ~old.contains_points(x, radius=tol) & ~old.contains_points(x, radius=-tol)
        if sliver.any():
            _, nearest = cKDTree(before.profile).query(x[sliver])
            self.previous.x.array[self.liquid_dofs[sliver]] = before.wall_concentration[nearest]
        self.previous.x.scatter_forward()

    def solve(self, dt: float | None, name: str) -> float:
        """One step; returns the integrated flux (mol/s)."""
        self.inverse_dt.value = 0.0 if dt is None else 1.0 / dt
        solve_scalar(self.a, self.L, self.c, self.bcs, name)
        return self.domain.mesh.comm.allreduce(fem.assemble_scalar(self.flux_form), op=MPI.SUM)

    def wall_flux(self) -> np.ndarray:
        """The flux density k c at the wall points (mol/m^2/s) of the last solve; the wall's
        concentration is kept for the next liquid's sliver."""
        q = wall_flux(self.c, self.profile, self.geo, self.etchant.rate_constant, self.liquid_cells)
        self.wall_concentration = q / self.etchant.rate_constant
        return q


_GAUSS = (np.array([0.5 - math.sqrt(15) / 10, 0.5, 0.5 + math.sqrt(15) / 10]), np.array([5, 8, 5]) / 18)


def wall_flux(ch: fem.Function, profile: np.ndarray, geo, k: float, liquid_cells: np.ndarray) -> np.ndarray:
    """Flux density k c at the wall points, consistent with the integrated flux: the lumped
    projection of k c onto hat functions of the wall polyline, q_i = int k c phi_i r ds /
    int phi_i r ds (3-point Gauss per segment, exact for the P2 solution times r on a
    segment that is a mesh facet). Moving the points at V_m q / s then sweeps V_m / s times
    the integrated flux, and the mass balance holds to the step's geometric error. The
    samples are taken a hair (1e-4 of the wall spacing) inside the liquid: exactly on the
    wall the point search can find only the metal's cell."""
    a, b = profile[:-1], profile[1:]
    length = np.linalg.norm(b - a, axis=1)
    xi, w = _GAUSS
    pts = (a[:, None, :] + xi[None, :, None] * (b - a)[:, None, :]).reshape(-1, 2)
    tangent = (b - a) / length[:, None]
    normal = np.repeat(np.column_stack([-tangent[:, 1], tangent[:, 0]]), len(xi), axis=0)  # into the metal
    eps = 1e-4 * geo.front_element_size
    on_wall = pts + np.array([0.0, geo.base_thickness])
    c = evaluate(ch, on_wall, liquid_cells, search_at=on_wall - eps * normal).reshape(-1, len(xi))
    r = pts[:, 0].reshape(-1, len(xi))
    num, den = np.zeros(len(profile)), np.zeros(len(profile))
    for phi, node in (((1 - xi), 0), (xi, 1)):
        weight = length[:, None] * w[None, :] * phi[None, :] * r
        np.add.at(num, np.arange(len(a)) + node, (weight * k * c).sum(axis=1))
        np.add.at(den, np.arange(len(a)) + node, weight.sum(axis=1))
    return num / np.maximum(den, 1e-300)


def smoothed_flux(q: np.ndarray, wall: np.ndarray) -> np.ndarray:
    """One binomial pass (1/4, 1/2, 1/4) over the wall points, weighted by their shares of
    the wall (int phi_i r ds); the axis point mirrors its neighbour, the interface point
    has one. Why: moving the points explicitly is stiff. A wall bump of wavenumber kappa
    changes its own flux at the rate v kappa / (1 + kappa D / k) (v the wall speed), and
    Adams-Bashforth is stable only below 1 / dt, so the zig-zag of the point spacing
    (finer than the cells that resolve the flux) grew tenfold per step once the kinetics
    were fast (k = 1 m/s, D / k = 1 nm). The pass removes that zig-zag and leaves a smooth
    flux changed at second order in the spacing."""
    wa, wb = hat_r_weights(wall)
    length = np.linalg.norm(np.diff(wall, axis=0), axis=1)
    m = np.zeros(len(wall))
    np.add.at(m, np.arange(len(wall) - 1), length * wa)
    np.add.at(m, np.arange(len(wall) - 1) + 1, length * wb)
    mq = m * q
    num, den = 0.5 * mq, 0.5 * m
    num[1:] += 0.25 * mq[:-1]
    den[1:] += 0.25 * m[:-1]
    num[:-1] += 0.25 * mq[1:]
    den[:-1] += 0.25 * m[1:]
    num[-1] += 0.25 * mq[-2]  # the mirror image across the axis
    den[-1] += 0.25 * m[-2]
    return num / np.maximum(den, 1e-300)


def evaluate(u: fem.Function, rz: np.ndarray, cells_allowed: np.ndarray,
             search_at: np.ndarray | None = None) -> np.ndarray:
    """u at points (model coordinates) from a cell among ``cells_allowed`` that contains it
    (or contains ``search_at``, the points moved a hair into the liquid), on every rank. The
    wall points lie on the liquid/metal interface: the metal's cells hold the etchant's zero
    extension, and round-off would put a point in them; the value is still taken on the
    wall itself, since under diffusion control c rises steeply from the wall's small value
    (1e-4 of a cell into the liquid can add more than the wall value). Of the cells
    containing a point, the one with the lowest midpoint (then leftmost) is used, whatever
    the partition: 1 and N ranks evaluate in the same cell."""
    msh = u.function_space.mesh
    tdim = msh.topology.dim
    pts = np.zeros((len(rz), 3))
    pts[:, :2] = rz
    probe = pts.copy()
    if search_at is not None:
        probe[:, :2] = search_at
    tree = dolfinx.geometry.bb_tree(msh, tdim)
    cand = dolfinx.geometry.compute_collisions_points(tree, probe)
    hit = dolfinx.geometry.compute_colliding_cells(msh, cand, probe)
    n_owned = msh.topology.index_map(tdim).size_local
    allowed = np.zeros(len(u.function_space.dofmap.list), dtype=bool)
    allowed[cells_allowed] = True
    allowed[n_owned:] = False
    point = np.repeat(np.arange(len(rz)), np.diff(hit.offsets))
    cells = hit.array.astype(np.int32)
    keep = allowed[cells]
    point, cells = point[keep], cells[keep]
    best = np.full((len(rz), 3), np.inf)  # (midpoint z, midpoint r, value) of the chosen cell
    if len(cells):
        mid = dolfinx.mesh.compute_midpoints(msh, tdim, cells)
        order = np.lexsort((mid[:, 0], mid[:, 1], point))  # per point, the lowest then leftmost cell
        first = order[np.r_[True, point[order][1:] != point[order][:-1]]]
        p, cell = point[first], cells[first]
        best[p, 0], best[p, 1] = mid[first, 1], mid[first, 0]
        best[p, 2] = u.eval(pts[p], cell)[:, 0]
    comm = msh.comm
    everyone = np.stack(comm.allgather(best))  # (ranks, n, 3)
    pick = np.lexsort((everyone[:, :, 1], everyone[:, :, 0]), axis=0)[0]
    chosen = everyone[pick, np.arange(len(rz))]
    if not np.all(np.isfinite(chosen[:, 2])):
        raise SolveError("etch: a wall point lies outside the liquid mesh",
                         {"missing": int((~np.isfinite(chosen[:, 2])).sum()),
                          "first_missing_um": [round(float(v) * 1e6, 4) for v in rz[~np.isfinite(chosen[:, 2])][0]]})
    return chosen[:, 2]


def run_transport(geo, etchant: Etchant, times: list[float], max_advance: float, comm: MPI.Comm, log) -> TransportRun:
    """March the wall to each of ``times``; a Step per requested time (and the start)."""
    R = geo.film.hole_radius
    spacing = geo.front_element_size
    out = TransportRun()
    wall = isotropic_profile(R, max_advance, spacing)
    t = None
    step_no = 0
    targets = list(times)
    start_volume = profile_volume(wall)
    consumed = 0.0  # V_m / s times the etchant consumed since the start (the flux each step moved with)
    prev = None  # (arclength fractions, speeds, flux, dt) of the step before
    resampled = False
    dt = None  # the step that brought the wall here
    liquid = None
    reached = False  # the wall is at a requested time: keep its liquid for the fields
    progress = Progress(targets[-1])
    while True:
        interrupt.check(comm)
        t0 = time.perf_counter()
        try:
            here = Liquid(geo, wall, etchant, comm)
        except GeometryError as exc:
            raise SolveError(f"etch: at {0.0 if t is None else t / 60:.4g} min the wall cannot be meshed: "
                             f"{exc.message}", {"time_s": t, "depth_um": -wall[-1, 1] * 1e6}) from None
        out.mesh_s += here.mesh_s
        dofs = here.dofs
        if t is None:
            if etchant.transient:
                t, c, flux, out.start_steps = fresh_etchant_start(here, start_volume, max_advance,
                                                                  f"etch_{step_no}")
            else:
                flux = here.solve(None, f"etch_{step_no}")
                c = here.wall_flux()
                # the starting dimple, timed by its own flux: t0 = depth / rate on the axis
                t = max_advance / max(etchant.molar_volume / etchant.stoichiometry * c[-1], 1e-300)
            out.steps.append(Step(t, wall.copy(), flux, start_volume, 0.0, dofs))
            if targets[0] < t * (1 - 1e-12):
                raise SolveError(f"etch: etch.times starts at {targets[0]:.4g} s, before the starting dimple "
                                 f"({max_advance * 1e6:.3g} um deep, etched in {t:.4g} s): ask for later times "
                                 "or a smaller etch.max_advance", {"start_time_s": t, "first_time_s": targets[0]})
        else:
            if etchant.transient:
                here.carry_over(liquid)
            flux = here.solve(dt if etchant.transient else None, f"etch_{step_no}")
            c = here.wall_flux()
        liquid = here
        if reached:
            out.liquids.append((t, here.domain, here.c, wall.copy()))
            reached = False
        out.solve_s += time.perf_counter() - t0 - here.mesh_s
        v = etchant.molar_volume / etchant.stoichiometry * np.maximum(smoothed_flux(c, wall), 0.0)  # c: k c
        if not targets:
            break
        vmax = float(v.max())
        if vmax <= 0:
            raise SolveError("etch: the etchant does not reach the wall (zero flux)", {"time_s": t})
        # The step ratio stays within 2: Adams-Bashforth extrapolates the speeds by dt / dt_before.
        # Transient: within a quarter of the etch time too, where the concentration changes on
        # the scale of t (the Stefan solution is self-similar in t).
        dt = min(max_advance / vmax, targets[0] - t, 2 * prev[3] if prev else math.inf,
                 0.25 * t if etchant.transient else math.inf)
        log.debug("etch step %d: t %.6g s, dt %.4g s, depth %.5g um, fastest at r = %.4g um (%.4g um/s), "
                  "%d wall points", step_no, t, dt, -wall[-1, 1] * 1e6, wall[int(np.argmax(v)), 0] * 1e6,
                  vmax * 1e6, len(wall))
        # Second-order Adams-Bashforth: the last step's wall speeds, carried over by arclength
        # (explicit Euler overshoots a slowing etch by O(dt): 0.7 % at 0.25 um steps).
        # Points keep their identity between resamplings; after one, speeds go by arclength.
        s_here = arclength_fraction(wall)
        if prev is None:
            v_step, flux_step = v, flux
        else:
            w = dt / prev[3]
            v_before = prev[1] if len(prev[1]) == len(v) and not resampled else np.interp(s_here, prev[0], prev[1])
            v_step = np.maximum((1 + w / 2) * v - w / 2 * v_before, 0.0)
            flux_step = (1 + w / 2) * flux - w / 2 * prev[2]
        prev = (s_here, v, flux, dt)
        wall, resampled = advance(wall, v_step, dt, spacing)
        fold = first_fold(wall)
        if fold is not None:
            raise SolveError(
                f"etch: at {t / 60:.4g} min the wall folded over itself at r = {fold[0] * 1e6:.4g} um, "
                f"z = {fold[1] * 1e6:.4g} um: the explicit wall step ({max_advance * 1e6:.3g} um) is too long for "
                f"these kinetics (D / k = {etchant.diffusivity / etchant.rate_constant * 1e6:.3g} um); "
                "reduce etch.max_advance", {"time_s": t, "step": step_no, "max_advance_um": max_advance * 1e6})
        t += dt
        step_no += 1
        volume = profile_volume(wall)
        consumed += etchant.molar_volume / etchant.stoichiometry * flux_step * dt
        balance = abs((volume - start_volume) - consumed) / consumed
        if t >= targets[0] * (1 - 1e-12):
            targets.pop(0)
            reached = True
            out.steps.append(Step(t, wall.copy(), flux, volume, balance, dofs))
            log.info("etch t = %.4g min: depth %.4g um, radius at the film %.4g um, %d steps, mass balance %.2e  [%s]",
                     t / 60, -wall[-1, 1] * 1e6, wall[0, 0] * 1e6, step_no, balance, progress.tag(t))
        if step_no > 100000:
            raise SolveError("etch: more than 100000 steps", {"time_s": t})
    out.wall_steps = step_no
    return out


def fresh_etchant_start(liquid: Liquid, volume: float, depth: float, name: str,
                        growth: float = 1.3) -> tuple[float, np.ndarray, float, int]:
    """Fresh etchant poured on the starting dimple (depth ``depth``, ``volume``): backward
    Euler on the fixed dimple from the bulk concentration, with steps growing by ``growth``
    from 1e-4 of the 1D estimate (kinetic time plus the fixed-wall diffusion time pi d^2 /
    (4 beta^2 D)), until the etchant consumed has etched the dimple's volume. Holding the
    wall during this time errs by O(depth) in the wall's position, which the flux forgets
    as the etch goes on. Returns (time, flux density at the wall points, integrated flux,
    steps)."""
    e = liquid.etchant
    per_mol = e.molar_volume / e.stoichiometry
    estimate = depth / e.reaction_limited_rate + math.pi * depth**2 / (4 * e.beta**2 * e.diffusivity)
    dt = 1e-4 * estimate
    liquid.fresh()
    t = swept = 0.0
    for n in range(1, 201):
        flux = liquid.solve(dt, f"{name}_start{n}")
        if swept + per_mol * flux * dt >= volume:
            return t + (volume - swept) / (per_mol * flux), liquid.wall_flux(), flux, n
        swept += per_mol * flux * dt
        t += dt
        liquid.previous.x.array[:] = liquid.c.x.array
        dt *= growth
    raise SolveError("etch: the fresh etchant did not etch the starting dimple in 200 steps",
                     {"time_s": t, "etched_fraction": swept / volume})


def first_fold(wall: np.ndarray) -> np.ndarray | None:
    """A point where two non-adjacent segments of the wall cross (the wall folded over
    itself), or None."""
    p, q = wall[:-1], wall[1:]
    i, j, t, _ = segment_hits(p, q, p, q)
    keep = j > i + 1
    if not keep.any():
        return None
    k = np.flatnonzero(keep)[0]
    return p[i[k]] + t[k] * (q[i[k]] - p[i[k]])


def advance(wall: np.ndarray, v: np.ndarray, dt: float, spacing: float) -> tuple[np.ndarray, bool]:
    """Move the wall points by v dt along their flux-weighted normals N_i / |N_i|: the step
    sweeps 2 pi sum v_i dt |N_i|, short of the flux's 2 pi sum v_i dt m_i by about theta^2 / 8
    for a turn theta between segments (rescaling by m_i / |N_i| would close that gap but
    amplifies zig-zags, an instability). The interface point slides along the film
    underside and the axis point goes down the axis at v dt. Long segments are split
    at their midpoints, which leaves the polygon (and the volume) unchanged. Returns the
    wall and whether its points changed."""
    N = weighted_normals(wall, axisymmetric=True)
    unit = N / np.maximum(np.linalg.norm(N, axis=1), 1e-300)[:, None]
    new = wall + (v * dt)[:, None] * unit
    # The end points keep to their lines at the wall speed: the wall meets the film
    # underside and the axis at right angles, whatever its first chord's tilt.
    new[0] = [wall[0, 0] + v[0] * dt, 0.0]
    new[-1] = [0.0, wall[-1, 1] - v[-1] * dt]
    changed = False
    while True:
        seg = np.linalg.norm(np.diff(new, axis=0), axis=1)
        long = np.flatnonzero(seg > spacing / 2)
        if len(long) == 0:
            break
        mid = 0.5 * (new[long] + new[long + 1])
        new = np.insert(new, long + 1, mid, axis=0)
        changed = True
    seg = np.linalg.norm(np.diff(new, axis=0), axis=1)
    short = np.flatnonzero(seg[1:] < spacing / 8) + 1  # drop a point that crowds the next (rare)
    short = short[short < len(new) - 1]
    if len(short):
        new = np.delete(new, short, axis=0)
        changed = True
    # The wall leaves the film underside downward: a point on (or above) the interface, or
    # beyond the interface point, would give the builder a wall lying in the interface.
    new[1:, 1] = np.minimum(new[1:, 1], -0.02 * spacing)
    new[1:, 0] = np.minimum(new[1:, 0], new[0, 0])
    return new, changed
