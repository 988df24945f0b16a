"""Growth of a deposit at feature scale: the current distribution in the electrolyte moves
the deposit's surface (Faraday's law), and the electrolyte is rebuilt by ``meshes/``
around the moved surface every step.

Each step: mesh the electrolyte (``meshes.LiquidSection``), solve the primary, secondary
or tertiary distribution on it (``current_distribution``, ``tertiary``), project the
deposition current density onto the front's points (lumped, consistent with the total it
carries), move them by v = eps i M / (n F rho) along their weighted normals with a step
bounded by ``max_advance`` (second-order Adams-Bashforth after the first), then cut off
what the front has closed: trapped electrolyte thicker than one step's advance is a void
(volume, centroid, time), a thinner one a seam. The whole state is written to a checkpoint
after every step; a run resumed from it continues to the same answer.

Sections: the concavity of process B (the base's etched wall, the insulating film with its
hole, a diffusion layer above, about the hole's axis) and the growing cylinder of
VALIDATION.md electroplating 7 (a quarter annulus, plane).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import ufl
from mpi4py import MPI

from dolfinx import fem

from meshes import GeometryError
from meshes.liquid_section import LiquidSection

from solver.core import interrupt
from solver.core.domain import build_domain
from solver.core.errors import SolveError
from solver.core.output import atomic_write_json
from solver.core.progress import Progress
from solver.fronts.polyline import (
    Void,
    Wall,
    arclength_fraction,
    close_off,
    grow,
    isotropic_profile,
    respace,
    section_measure,
    signed_area,
    thickness_along,
)
from solver.plating.current_distribution import CurrentDistribution
from solver.plating.electrochem import Electrode, deposition_rate


@dataclass
class Section:
    """Where the deposit grows: its starting front, the walls its ends slide along, and the
    fixed rest of the electrolyte's outline (from the end wall's last point round to the
    start wall's last point)."""

    front: np.ndarray
    start_wall: Wall
    start_name: str
    end_wall: Wall
    end_name: str
    closing: list[tuple[np.ndarray, str]]
    axisymmetric: bool
    spacing: float  # front cells and point spacing (m)
    element_size: float  # away from the front (m)
    full_level: float | None = None  # filled when the whole front is at or above this z (m)
    length_scale: float = 1.0  # for scaling the equations and the Wagner number (m)
    footprint: float = 1.0  # area the mean current density refers to (m^2; m per m in plane)

    def pieces(self, front, s_start, s_end) -> list[tuple[np.ndarray, str]]:
        return ([(front, "cathode"), (self.end_wall.between(s_end, self.end_wall.length), self.end_name)]
                + self.closing + [(self.start_wall.between(self.start_wall.length, s_start), self.start_name)])

    def liquid_volume(self, front, s_start, s_end) -> float:
        loop = np.vstack([p[:-1] for p, _ in self.pieces(front, s_start, s_end)])
        return section_measure(loop, self.axisymmetric)[0]

    def target_volume(self) -> float:
        """Electrolyte below the full level at the start (the concavity and the film's hole)."""
        if self.full_level is None:
            return math.nan
        wall = self.start_wall
        # the start wall runs from the rim under the film, up the hole, out along the top:
        # it reaches the full level at the hole's top corner
        s_top = wall.s[int(np.flatnonzero(wall.points[:, 1] >= self.full_level - 1e-15)[0])]
        loop = np.vstack([wall.between(s_top, 0.0)[:-1], self.front, [[0.0, self.full_level]]])
        return section_measure(loop, self.axisymmetric)[0]


def concavity_section(geo, spacing: float) -> Section:
    """The etched concavity under the film's hole (axisymmetric; z = 0 at the film/base
    interface): the front is the etched wall from the rim under the film to the axis."""
    f = geo.film
    R, t, edge = f.hole_radius, f.thickness, geo.edge
    if geo.concavity.profile is not None:
        front = np.array(geo.concavity.profile, dtype=float)
        front[:, 1] = np.minimum(front[:, 1], 0.0)
        front[0, 1] = 0.0
        front[-1, 0] = 0.0
    else:
        front = isotropic_profile(R, geo.concavity.depth, spacing)
    front = respace(front, spacing)
    top = t + geo.electrolyte.height
    film = Wall([front[0], [R, 0.0], [f.top_radius, t], [edge, t]])
    axis = Wall([front[-1], [0.0, top]])
    closing = [(np.array([[0.0, top], [edge, top]]), "anode"), (np.array([[edge, top], [edge, t]]), "symmetry")]
    return Section(front, film, "insulator", axis, "axis", closing, True, spacing, geo.element_size,
                   full_level=t, length_scale=max(R, geo.depth), footprint=math.pi * edge**2)


def cylinder_section(inner: float, outer: float, spacing: float, element_size: float) -> Section:
    """A quarter of the annulus between a growing inner cylinder and the outer one (plane)."""
    n = max(16, int(math.ceil(math.pi / 2 * inner / spacing)))
    phi = np.linspace(0.0, math.pi / 2, n + 1)
    front = inner * np.column_stack([np.cos(phi), np.sin(phi)])
    front[-1, 0] = 0.0
    m = max(16, int(math.ceil(math.pi / 2 * outer / element_size)))
    phi = np.linspace(math.pi / 2, 0.0, m + 1)
    arc = outer * np.column_stack([np.cos(phi), np.sin(phi)])
    arc[0, 0], arc[-1, 1] = 0.0, 0.0
    return Section(front, Wall([[inner, 0.0], [outer, 0.0]]), "symmetry", Wall([[0.0, inner], [0.0, outer]]),
                   "symmetry", [(arc, "anode")], False, spacing, element_size, None, inner, math.pi / 2 * outer)


@dataclass
class Electrochemistry:
    conductivity: float
    cathode: Electrode
    temperature: float
    cell_voltage: float | None = None
    mean_current_density: float | None = None  # galvanostatic, over the section's footprint
    diffusivity: float | None = None  # tertiary
    bulk_concentration: float | None = None
    valence: int = 2
    continuation_steps: int = 8
    anode_equilibrium: float = 0.0
    anion: tuple[float, int] | None = None  # (D-, z-) of a binary electrolyte


@dataclass
class FillState:
    time: float
    step: int
    front: np.ndarray
    s_start: float
    s_end: float
    charge: float  # C passed into the deposit (the current that moved the front), per section
    voids: list[Void] = field(default_factory=list)
    seams: int = 0
    seam_volume: float = 0.0  # electrolyte left in the seams (not deposit), m^3
    prev: tuple | None = None  # (arclength fractions, speeds, dt, total current) of the step before
    history: list[list[float]] = field(default_factory=list)  # t, deposited, current, voids, newton
    snapshots: list[tuple[float, np.ndarray]] = field(default_factory=list)
    filled_at: float | None = None
    newton: int = 0
    dofs: int = 0
    mesh_s: float = 0.0
    solve_s: float = 0.0
    fields: list = field(default_factory=list, repr=False)  # the last solve's (not checkpointed)
    domain: object = field(default=None, repr=False)  # the last solve's mesh and its names (for the fields)


def front_flux(domain, flux, front: np.ndarray, axisymmetric: bool) -> tuple[np.ndarray, np.ndarray]:
    """The deposition current density at the front's points and the weights it carries:
    q_i = F(psi_i) / int psi_i w ds, m_i = int psi_i w ds over the cathode, with psi_i the
    P1 hat of point i, w = 2 pi r (or 1) and F the form ``flux(psi)`` of the current into
    the deposit. For the bulk term of the potential equation this is the discrete
    (consistent) flux, exact to the discretisation; sum q_i m_i is the total current.
    Every point of the front is a mesh vertex (its segments are single cells' facets)."""
    from solver.plating.electrode_current import flux_and_mass

    msh = domain.mesh
    x = ufl.SpatialCoordinate(msh)
    w = 2 * math.pi * x[0] if axisymmetric else 1.0
    ds = ufl.Measure("ds", domain=msh, subdomain_data=domain.facet_tags)
    V1, *values = flux_and_mass(domain, "cathode", flux, w, ds)
    n_owned = V1.dofmap.index_map.size_local
    dofs = fem.locate_dofs_topological(V1, 1, domain.facets("cathode"))
    dofs = dofs[dofs < n_owned]
    xyz = V1.tabulate_dof_coordinates()[dofs, :2]
    rows = np.column_stack([xyz, values[0][dofs], values[1][dofs]])
    rows = np.concatenate(msh.comm.allgather(rows))
    # match mesh vertices to front points (the mesh holds them to round-off of the um scaling)
    scale = np.abs(front).max()
    order = np.lexsort((front[:, 1], front[:, 0]))
    key = front[order]
    F, M = np.zeros(len(front)), np.zeros(len(front))
    for xr, yr, f_i, m_i in rows:
        k = np.searchsorted(key[:, 0], xr - 1e-9 * scale)
        best, dist = -1, np.inf
        while k < len(key) and key[k, 0] <= xr + 1e-9 * scale:
            d = abs(key[k, 1] - yr) + abs(key[k, 0] - xr)
            if d < dist:
                best, dist = k, d
            k += 1
        if best < 0 or dist > 1e-8 * scale:
            raise SolveError("fill: a cathode vertex of the mesh is not a point of the front",
                             {"r_um": xr * 1e6, "z_um": yr * 1e6})
        F[order[best]] += f_i
        M[order[best]] += m_i
    return F / np.maximum(M, 1e-300), M


def deposition_current(section: Section, front: np.ndarray, echem: Electrochemistry, s_start: float, s_end: float,
                       comm: MPI.Comm, name: str, previous: list | None = None):
    """Mesh the electrolyte for this front and solve. Returns (deposition current density
    at the front's points (A/m^2), their weights int psi_i w ds, the solver's total
    deposition current (A, or A/m), Newton iterations, dofs, mesh seconds, the fields, the domain).
    ``previous``: the last step's tertiary fields, the starting guess (else, or if Newton
    fails from it, a continuation from 0 V)."""
    t0 = time.perf_counter()
    geo = LiquidSection(section.pieces(front, s_start, s_end), section.element_size, section.spacing,
                        section.axisymmetric)
    domain = build_domain(geo, comm, order=1)
    mesh_s = time.perf_counter() - t0
    k = echem.cathode
    ds = ufl.Measure("ds", domain=domain.mesh, subdomain_data=domain.facet_tags)(domain.boundaries["cathode"])
    if echem.diffusivity is not None:
        from solver.plating.tertiary import TertiaryDistribution

        def distribution():
            return TertiaryDistribution(domain, echem.conductivity, echem.diffusivity, echem.bulk_concentration,
                                        echem.valence, k, echem.anode_equilibrium, echem.temperature,
                                        section.axisymmetric, section.length_scale, anion=echem.anion)

        dist, state = distribution(), None
        if previous is not None and len(previous) == 2:
            try:
                dist.warm_start(*previous, echem.cell_voltage)
                state = dist.solve(echem.cell_voltage, f"{name}_warm", 1)
            except SolveError:
                dist = distribution()  # a front that changed too much: from 0 V again
        if state is None:
            state = dist.solve(echem.cell_voltage, name, echem.continuation_steps)
        total, its, dofs = state["current"], state["newton_iterations"], 2 * dist.W.dofmap.index_map.size_global
        fields = [dist.u.sub(0).collapse(), dist.u.sub(1).collapse()]
        fields[0].name, fields[1].name = "electrolyte_potential_V", "concentration_mol_per_m3"

        def flux(psi):
            return -dist.i * psi * dist.weight * ds
    else:
        dist = CurrentDistribution(domain, echem.conductivity, k, Electrode("none"), echem.temperature,
                                   section.axisymmetric, section.length_scale)
        if echem.cell_voltage is not None:
            sol = dist.solve(echem.cell_voltage, name)
        else:
            sol = dist.galvanostatic(echem.mean_current_density * section.footprint, name, V_guess=0.05)
        total, its, dofs = sol.current, sol.newton_iterations, dist.V.dofmap.index_map.size_global
        fields = [sol.phi]

        def flux(psi):
            # the bulk term: at the discrete solution it equals the kinetic term where there is one
            return -echem.conductivity * ufl.inner(ufl.grad(sol.phi), ufl.grad(psi)) * dist.weight * dist.dx
    q, m = front_flux(domain, flux, front, section.axisymmetric)
    return q, m, total, its, dofs, mesh_s, fields, domain


def _void_json(v: Void) -> dict:
    return {"time": v.time, "volume": v.volume, "centroid": list(v.centroid), "thickness": v.thickness,
            "outline": v.outline.tolist()}


def save_checkpoint(path: Path, state: FillState, digest: str) -> None:
    data = {"digest": digest, "time": state.time, "step": state.step, "front": state.front.tolist(),
            "s_start": state.s_start, "s_end": state.s_end, "charge": state.charge,
            "voids": [_void_json(v) for v in state.voids], "seams": state.seams,
            "seam_volume": state.seam_volume,
            "prev": None if state.prev is None else [state.prev[0].tolist(), state.prev[1].tolist(), state.prev[2],
                                                     state.prev[3]],
            "history": state.history, "snapshots": [[t, f.tolist()] for t, f in state.snapshots],
            "filled_at": state.filled_at, "newton": state.newton, "dofs": state.dofs}
    atomic_write_json(path, data)


def load_checkpoint(path: Path, digest: str) -> FillState:
    data = json.loads(path.read_text())
    if data.get("digest") != digest:
        raise ValueError(f"{path} belongs to a different case (the case file changed since it was written)")
    prev = data["prev"]
    return FillState(
        data["time"], data["step"], np.array(data["front"]), data["s_start"], data["s_end"], data["charge"],
        [Void(v["time"], v["volume"], tuple(v["centroid"]), v["thickness"], np.array(v["outline"]))
         for v in data["voids"]], data["seams"], data["seam_volume"],
        None if prev is None else (np.array(prev[0]), np.array(prev[1]), prev[2], prev[3]),
        data["history"], [(t, np.array(f)) for t, f in data["snapshots"]], data["filled_at"], data["newton"],
        data["dofs"])


MIN_STEP_FRACTION = 1e-9  # of the plating time: a shorter growth step means a runaway input


def run_growth(section: Section, echem: Electrochemistry, deposit, efficiency: float, duration: float,
               max_advance: float, comm: MPI.Comm, log, checkpoint: Path | None = None, digest: str = "",
               state: FillState | None = None, stop_when_filled: bool = True, max_steps: int = 100000) -> FillState:
    """Grow from ``state`` (or the section's front at t = 0) until ``duration``, or until
    filled. Writes ``checkpoint`` (rank 0) after every step."""
    if state is None:
        state = FillState(0.0, 0, section.front.copy(), 0.0, 0.0, 0.0)
    start_volume = section.liquid_volume(section.front, 0.0, 0.0)
    target = section.target_volume()
    next_snapshot = (len(state.snapshots)) / 20
    to_metres_per_s = deposition_rate(1.0, deposit.molar_mass, deposit.density, deposit.valence, efficiency)

    def done(fraction: float) -> float:  # the run ends at the duration or, first, when filled
        return max(state.time / duration, fraction if stop_when_filled else 0.0)

    progress = Progress(1.0, start=done(0.0))
    while True:
        interrupt.check(comm)
        front = state.front
        t0 = time.perf_counter()
        try:
            q, weight, total, its, dofs, mesh_s, state.fields, state.domain = deposition_current(
                section, front, echem, state.s_start, state.s_end, comm, f"fill_{state.step}",
                previous=state.fields or None)
        except GeometryError as exc:
            raise SolveError(f"fill: at {state.time / 60:.4g} min the electrolyte cannot be meshed: {exc.message}",
                             {"time_s": state.time, "step": state.step}) from None
        state.mesh_s += mesh_s
        state.solve_s += time.perf_counter() - t0 - mesh_s
        state.newton += its
        state.dofs = dofs
        q = np.maximum(q, 0.0)
        current = float((q * weight).sum())  # what moves the front; the solver's ``total`` checks it
        deposited = start_volume - section.liquid_volume(front, state.s_start, state.s_end) \
            - sum(v.volume for v in state.voids) - state.seam_volume
        fraction = deposited / target if math.isfinite(target) else math.nan
        if not state.history or state.history[-1][0] < state.time:
            state.history.append([state.time, deposited, current, sum(v.volume for v in state.voids), total,
                                  float(q.min()), float(q.max())])
        if math.isfinite(fraction) and fraction >= next_snapshot - 1e-12 or not state.snapshots:
            state.snapshots.append((state.time, front.copy()))
            next_snapshot = math.floor(fraction * 20 + 1e-9) / 20 + 0.05 if math.isfinite(fraction) else 1.0
        if section.full_level is not None and front[:, 1].min() >= section.full_level:
            state.filled_at = state.time
            if stop_when_filled:
                break
        if state.time >= duration * (1 - 1e-12):
            break
        if state.step >= max_steps:
            raise SolveError(f"fill: more than {max_steps} growth steps", {"time_s": state.time})
        v = q * to_metres_per_s
        vmax = float(v.max())
        if not math.isfinite(vmax):
            raise SolveError(f"fill: the current density at the front is not finite at {state.time / 60:.4g} min",
                             {"time_s": state.time, "step": state.step})
        if vmax <= 0:
            raise SolveError("fill: no deposition current reaches the front", {"time_s": state.time})
        dt = min(max_advance / vmax, duration - state.time)
        if max_advance / vmax < MIN_STEP_FRACTION * duration:
            # the plating time would take more than a billion steps: a runaway input (a
            # conductivity or voltage off by orders of magnitude), not a fill to wait for
            raise SolveError(
                f"fill: a growth step of {max_advance / vmax:.3g} s (growth.max_advance at the front's fastest "
                f"point, {q.max():.3g} A/m^2) would need over {1 / MIN_STEP_FRACTION:.0e} steps to plate "
                f"{duration / 60:.4g} min; check the cell voltage, conductivity and max_advance",
                {"time_s": state.time, "step": state.step, "max_current_density_A_per_m2": float(q.max())})
        s_here = arclength_fraction(front)
        if state.prev is None:
            v_step = v
        else:
            w = dt / state.prev[2]
            v_before = np.interp(s_here, state.prev[0], state.prev[1])
            v_step = np.maximum((1 + w / 2) * v - w / 2 * v_before, 0.0)
        # the charge by the same rule from the solver's totals (the front's own weights
        # change as it moves, so extrapolated densities would not carry the current)
        state.charge += dt * (total if state.prev is None
                              else (1 + dt / state.prev[2] / 2) * total - dt / state.prev[2] / 2 * state.prev[3])
        new, s_start, s_end = grow(front, v_step, dt, section.spacing, state.s_start, state.s_end,
                                   section.start_wall, section.end_wall, section.axisymmetric)
        new, s_start, s_end, pockets = close_off(new, s_start, s_end, section.start_wall, section.end_wall)
        state.prev = (s_here, v, dt, total)
        for poly in pockets:
            volume, centroid = section_measure(poly, section.axisymmetric)
            perimeter = float(np.linalg.norm(np.diff(np.vstack([poly, poly[:1]]), axis=0), axis=1).sum())
            thickness = 4 * abs(signed_area(poly)) / perimeter
            if thickness > max_advance:
                state.voids.append(Void(state.time + dt, volume, (float(centroid[0]), float(centroid[1])),
                                        thickness, poly))
                log.info("fill: a void closed at %.4g min: %.4g um^3 at r = %.3g um, z = %.3g um",
                         (state.time + dt) / 60, volume * 1e18, centroid[0] * 1e6, centroid[1] * 1e6)
            else:
                state.seams += 1
                state.seam_volume += volume
        if pockets:
            state.prev = None  # the front's points were cut: restart the multistep from Euler
        state.front, state.s_start, state.s_end = new, s_start, s_end
        state.time += dt
        state.step += 1
        if comm.rank == 0 and checkpoint is not None:
            save_checkpoint(checkpoint, state, digest)
        log.info("fill step %d: t = %.4g min, dt %.3g s, %d front points, %d dofs, fill %.3f  [%s]", state.step,
                 state.time / 60, dt, len(new), dofs, fraction, progress.tag(done(fraction)))
    return state


def coat_profile(section: Section, state: FillState) -> np.ndarray:
    """(s along the starting wall, r, z, thickness) of the deposit on the starting wall, m."""
    initial = section.front
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(initial, axis=0), axis=1))])
    return np.column_stack([s, initial, thickness_along(initial, state.front)])
