"""Small-strain quasi-static equilibrium with inelastic materials: Newton on the
displacement with the state held at quadrature points.

At every Newton iterate the strain is evaluated at the quadrature points of each region,
the region's material update (:mod:`solver.mechanics.inelastic`) returns the stress, the
consistent tangent and a trial state, and those fill two quadrature functions from which
the residual  int sigma : eps(v)  and the Jacobian  int eps(du) : C : eps(v)  are
assembled. The committed state changes only in :meth:`InelasticProblem.commit`; a step
that fails is undone by :meth:`rollback` (the committed state was never touched).

Formulations: 3D, plane strain and axisymmetric (x = r); every one works with 3x3 strain
tensors, so the material functions are the same for all. Plane stress would need the
zz strain as a local unknown in every model and is refused by the case schema."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import basix.ufl
import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

import dolfinx.fem as fem
import dolfinx.fem.petsc as fem_petsc

from solver.core.elastic_solver import ElasticSolver, TangentSolver
from solver.core.errors import SolveError
from solver.core.materials import Material
from solver.mechanics.forms import strain, volume_weight
from solver.mechanics.inelastic.model import PointModel
from solver.mechanics.inelastic.return_mapping import LocalUpdateFailed
from solver.mechanics.inelastic.tensors import ONE

INELASTIC_FORMULATIONS = ("3d", "plane_strain", "axisymmetric")
SQ2 = np.sqrt(2.0)


def quadrature_degree(formulation: str, degree: int) -> int:
    """Exact for the elastic stiffness (strain of degree p - 1, squared; axisymmetric
    models carry one more power of r)."""
    return max(2, 2 * (degree - 1) + (1 if formulation == "axisymmetric" else 0))


def mandel(e):
    """UFL 3x3 symmetric tensor -> Mandel 6-vector (see inelastic.tensors)."""
    return ufl.as_vector([e[0, 0], e[1, 1], e[2, 2], SQ2 * e[1, 2], SQ2 * e[0, 2], SQ2 * e[0, 1]])


# Inexact Newton (Eisenstat & Walker 1996, choice 2 with gamma = 0.9, alpha = 2): the linear
# solves are only as exact as the Newton iterate is near the answer, which keeps quadratic
# convergence and saves the CG iterations of the early iterates (CSP quarter: 78 -> 34 CG
# iterations per 4-iteration step, Newton unchanged). At most 1e-2, a conservative start:
# the forcing is the only error Newton's first steps add to the tangent's.
FORCING_MAX = 1e-2


def next_forcing(forcing: float, reduction: float) -> float:
    """The next linear tolerance from the last residual reduction ratio, safeguarded
    against falling faster than the previous one justifies."""
    eta = 0.9 * reduction**2
    if 0.9 * forcing**2 > 0.1:
        eta = max(eta, 0.9 * forcing**2)
    return min(FORCING_MAX, eta)


@dataclass
class RegionLaw:
    """What a region is made of: its point model, its material (E(T), nu, CTE) and the
    temperature at which it is free of stress."""

    model: PointModel
    material: Material
    stress_free_temperature: float
    eigenstrain: object = None  # callable t -> extra volumetric strain (cure shrinkage)


@dataclass
class NewtonReport:
    iterations: int = 0
    linear_iterations: int = 0
    line_search_cuts: int = 0
    residual_rel: float = float("nan")
    material_s: float = 0.0
    assemble_s: float = 0.0
    linear_s: float = 0.0
    history: list = field(default_factory=list)


class InelasticProblem:
    """One mesh, its region laws and supports; :meth:`solve_step` advances from the
    committed state to the end of a step (time t1, temperature T1)."""

    def __init__(self, domain, formulation: str, degree: int, laws: dict[str, RegionLaw], bcs_of,
                 method: str = "direct", rtol: float = 1e-8, max_iterations: int = 500,
                 newton_rtol: float = 1e-9, newton_max_it: int = 12, name: str = "inelastic", load_of=None):
        if formulation not in INELASTIC_FORMULATIONS:
            raise ValueError(f"inelastic materials need one of {INELASTIC_FORMULATIONS}, not {formulation!r}")
        self.domain, self.formulation, self.laws = domain, formulation, laws
        self.newton_rtol, self.newton_max_it = newton_rtol, newton_max_it
        msh = domain.mesh
        gdim = msh.geometry.dim
        self.V = fem.functionspace(msh, ("Lagrange", degree, (gdim,)))
        self.bcs = bcs_of(self.V)
        self.u = fem.Function(self.V, name="displacement_m")
        self.u_committed = self.u.x.array.copy()
        self.last_increment: tuple[np.ndarray, float] | None = None  # (u_n - u_(n-1), its dt)
        q = quadrature_degree(formulation, degree)
        cell = msh.topology.cell_name()
        self.metadata = {"quadrature_degree": q, "quadrature_scheme": "default"}
        dx = ufl.dx(metadata=self.metadata)
        Q6 = fem.functionspace(msh, basix.ufl.quadrature_element(cell, value_shape=(6,), degree=q))
        Q66 = fem.functionspace(msh, basix.ufl.quadrature_element(cell, value_shape=(6, 6), degree=q))
        Q1 = fem.functionspace(msh, basix.ufl.quadrature_element(cell, value_shape=(), degree=q))
        self.stress = fem.Function(Q6, name="stress_Pa")
        self.tangent = fem.Function(Q66, name="tangent_Pa")
        x = ufl.SpatialCoordinate(msh)
        self.weight = volume_weight(formulation, x)
        v, du = ufl.TestFunction(self.V), ufl.TrialFunction(self.V)

        def eps(w):
            return mandel(strain(w, formulation, x))

        self.eps = eps
        internal = ufl.dot(self.stress, eps(v)) * self.weight * dx
        # ``load_of(V, v, weight)``: external work (tractions, body forces) as a UFL form in v
        self.F = fem.form(internal - load_of(self.V, v, self.weight) if load_of is not None else internal)
        self.J = fem.form(ufl.dot(ufl.dot(self.tangent, eps(du)), eps(v)) * self.weight * dx)
        # element internal forces, unassembled (discontinuous test space): the force scale
        # Newton's tolerance is relative to, which does not cancel between elements
        Vd = fem.functionspace(msh, ("DG", degree, (gdim,)))
        self.F_scale = fem.form(ufl.dot(self.stress, eps(ufl.TestFunction(Vd))) * self.weight * dx)
        self.strain_expr = fem.Expression(eps(self.u), Q6.element.interpolation_points)
        # quadrature-point volumes (r dr dz for axisymmetric: 2 pi cancels in averages)
        w = fem_petsc.assemble_vector(fem.form(ufl.TestFunction(Q1) * self.weight * dx))
        n_owned = msh.topology.index_map(msh.topology.dim).size_local
        self.nq = Q1.dofmap.list.shape[1]
        self.points: dict[str, dict] = {}
        for region, law in laws.items():
            cells = domain.cells(region)
            cells = np.sort(cells[cells < n_owned]).astype(np.int32)
            dofs = Q1.dofmap.list[cells]  # (ncells, nq) point indices
            # each space numbers its points itself: index every array by its own dofmap
            self.points[region] = dict(
                cells=cells, volume=w.array[dofs].copy(),
                stress_dofs=Q6.dofmap.list[cells].ravel(), tangent_dofs=Q66.dofmap.list[cells].ravel(),
                state=law.model.initial_state(len(cells) * self.nq),
                trial=None,
            )
        w.destroy()
        # one strain evaluation per update over every region's cells (per-call overhead is
        # most of its cost at a few thousand points), cut into the regions' rows
        self.all_cells = np.concatenate([p["cells"] for p in self.points.values()]) if self.points else \
            np.zeros(0, np.int32)
        offsets = np.cumsum([0] + [len(p["cells"]) * self.nq for p in self.points.values()])
        self.rows = {region: slice(a, b) for region, a, b in zip(self.points, offsets[:-1], offsets[1:])}
        self.Q1 = Q1
        # direct: CG preconditioned by a lagged LU (refactored only when it stops paying);
        # iterative: CG + GAMG rebuilt per Newton iteration
        self.solver = TangentSolver(self.J, self.bcs, name) if method == "direct" else \
            ElasticSolver(self.J, self.bcs, self.V, formulation, method, rtol, max_iterations, name)
        self.b = fem_petsc.create_vector(self.V)
        self.du = fem.Function(self.V)
        self.method = method
        self.softened: dict[str, float] = {}  # region -> stiffness factor (while it forms)

    # -- material update ------------------------------------------------------------------
    def point_strains(self) -> dict[str, np.ndarray]:
        """Region -> (npoints, 6) total strain at its quadrature points."""
        if len(self.all_cells) == 0:
            return {region: np.zeros((0, 6)) for region in self.points}
        eps = self.strain_expr.eval(self.domain.mesh, self.all_cells).reshape(-1, 6)
        return {region: eps[rows] for region, rows in self.rows.items()}

    def thermal_strain(self, region: str, T: float, t: float) -> float:
        law = self.laws[region]
        e = law.material.thermal_strain(law.stress_free_temperature, T)
        if law.eigenstrain is not None:
            e += law.eigenstrain(t) / 3.0
        return e

    def update_materials(self, T0: float, T1: float, t0: float, t1: float) -> float:
        """Stress, tangent and trial state at every point for the current displacement.
        Returns the seconds spent. Collective: a local update that fails on any rank raises
        LocalUpdateFailed on every rank (a rank that went on alone would wait forever in
        the next assembly)."""
        start = time.perf_counter()
        problem = None
        try:
            self._update_points(T0, T1, t0, t1)
        except LocalUpdateFailed as exc:
            problem = str(exc)
        problems = [m for m in self.domain.comm.allgather(problem) if m]
        if problems:
            raise LocalUpdateFailed(problems[0])
        return time.perf_counter() - start

    def _update_points(self, T0: float, T1: float, t0: float, t1: float) -> None:
        s_arr = self.stress.x.array.reshape(-1, 6)
        c_arr = self.tangent.x.array.reshape(-1, 36)
        strains = self.point_strains()
        for region, p in self.points.items():
            if len(p["cells"]) == 0:
                continue
            law = self.laws[region]
            mech = strains[region] - self.thermal_strain(region, T1, t1) * ONE
            if "formed_strain" in p:
                mech -= p["formed_strain"]
            # the last iterate's increments (or the last step's) start the local solves
            if p["trial"] is not None:
                guess = p["trial"][:, 6] - p["state"][:, 6]
            elif p.get("last") is not None:
                guess = p["state"][:, 6] - p["last"][:, 6]
            else:
                guess = None
            upd = law.model.update(mech, p["state"], T0, T1, t1 - t0, law.material.E_at(T1), law.material.nu,
                                   guess)
            soft = self.softened.get(region)
            s_arr[p["stress_dofs"]] = upd.stress if soft is None else soft * upd.stress
            c_arr[p["tangent_dofs"]] = upd.tangent.reshape(-1, 36) if soft is None else \
                soft * upd.tangent.reshape(-1, 36)
            p["trial"] = upd.state
            p["trial_stress"] = upd.stress
            p["trial_strain"] = mech

    def _residual(self) -> tuple[float, float]:
        """Assemble the Newton residual into self.b; (its norm, the force scale)."""
        with self.b.localForm() as loc:
            loc.set(0.0)
        fem_petsc.assemble_vector(self.b, self.F)
        fem_petsc.apply_lifting(self.b, [self.J], bcs=[self.bcs], x0=[self.u.x.petsc_vec], alpha=-1.0)
        self.b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        fem_petsc.set_bc(self.b, self.bcs, self.u.x.petsc_vec, -1.0)
        scale_vec = fem_petsc.assemble_vector(self.F_scale)
        scale = scale_vec.norm()
        scale_vec.destroy()
        return self.b.norm(), scale

    # -- one step -------------------------------------------------------------------------
    def solve_step(self, t0: float, t1: float, T0: float, T1: float) -> NewtonReport:
        """Newton from the committed state to (t1, T1). Raises SolveError (state rolled
        back) if it does not converge; the caller cuts the step and tries again."""
        rep = NewtonReport()
        self.step_length = t1 - t0
        try:
            rep.material_s += self.update_materials(T0, T1, t0, t1)
            t = time.perf_counter()
            norm, scale = self._residual()
            rep.assemble_s += time.perf_counter() - t
            if self.last_increment is not None and self.last_increment[1] > 0 and t1 > t0:
                # the last step's displacement rate carried on starts Newton near the answer
                # on a ramp (0.2 -> 0.02 first residual on a die attach: one iteration
                # fewer), but not after a jump (the resin relaxing in the first second) or
                # into a dwell, so it is kept only where it lowers the residual
                du, dt_last = self.last_increment
                self.u.x.array[:] = self.u_committed + (t1 - t0) / dt_last * du
                rep.material_s += self.update_materials(T0, T1, t0, t1)
                t = time.perf_counter()
                p_norm, p_scale = self._residual()
                rep.assemble_s += time.perf_counter() - t
                if p_norm / p_scale < norm / scale:
                    norm, scale = p_norm, p_scale
                else:
                    self.u.x.array[:] = self.u_committed
                    rep.material_s += self.update_materials(T0, T1, t0, t1)
                    norm, scale = self._residual()
            forcing = FORCING_MAX
            for it in range(self.newton_max_it + 1):
                tol = self.newton_rtol * max(scale, 1e-300)
                rep.history.append(norm / max(scale, 1e-300))
                if norm <= tol or norm == 0.0:
                    break
                if it == self.newton_max_it:
                    raise SolveError(
                        f"Newton did not converge in {self.newton_max_it} iterations at t = {t1:.6g} s, "
                        f"T = {T1 - 273.15:.2f} degC (residual {norm / max(scale, 1e-300):.2e} of the force "
                        "scale)", {"residual_history": [float(h) for h in rep.history], "time_s": t1,
                                   "material_s": rep.material_s})
                t = time.perf_counter()
                self.solver.update_operator()
                rep.assemble_s += time.perf_counter() - t
                # never solve more exactly than the step's tolerance needs
                forcing = max(forcing, 0.5 * tol / norm)
                report = self.solver.solve_rhs(self.b, self.du.x.petsc_vec, forcing=forcing)
                rep.linear_iterations += report.iterations
                rep.linear_s += report.solve_s
                rep.iterations += 1
                self.du.x.scatter_forward()
                # backtracking on the residual norm: at a load reversal the tangent of the
                # previous plastic state overshoots
                step = 1.0
                base = self.u.x.array.copy()
                for cut in range(5):
                    self.u.x.array[:] = base - step * self.du.x.array
                    rep.material_s += self.update_materials(T0, T1, t0, t1)
                    t = time.perf_counter()
                    new_norm, scale = self._residual()
                    rep.assemble_s += time.perf_counter() - t
                    if new_norm < norm or new_norm <= self.newton_rtol * scale or cut == 4:
                        break
                    step *= 0.5
                    rep.line_search_cuts += 1
                forcing = next_forcing(forcing, new_norm / norm)
                norm = new_norm
        except LocalUpdateFailed as exc:
            self.rollback()
            raise SolveError(f"material update failed at t = {t1:.6g} s: {exc}", {"time_s": t1}) from None
        except SolveError:
            self.rollback()
            raise
        rep.residual_rel = norm / max(scale, 1e-300)
        return rep

    def start(self, T: float, formed: list[str] = (), softness: float = 1e-6) -> NewtonReport:
        """The instantaneous equilibrium at the start temperature ``T``, the ``formed``
        regions formed on the already deformed rest: solved with them at ``softness`` of
        their stiffness (molten), their strain there becomes their stress-free strain, then
        solved again at full stiffness, which moves the rest by O(softness) (one Newton
        iteration). Without it a region is stress-free in the mesh's shape and at the start
        carries the elastic stress of every other part's mismatch (Abaqus' ``*MODEL CHANGE,
        ADD=STRAIN FREE`` is the same idea). Not committed: the caller commits."""
        self.softened = {r: softness for r in formed}
        try:
            rep = self.solve_step(0.0, 0.0, T, T)
        finally:
            self.softened = {}
        if formed:
            for region in formed:
                p = self.points[region]
                if len(p["cells"]):
                    p["formed_strain"] = p["trial_strain"] + p.get("formed_strain", 0.0)
            stiff = self.solve_step(0.0, 0.0, T, T)
            stiff.iterations += rep.iterations
            stiff.linear_iterations += rep.linear_iterations
            stiff.material_s += rep.material_s
            stiff.assemble_s += rep.assemble_s
            stiff.linear_s += rep.linear_s
            stiff.line_search_cuts += rep.line_search_cuts
            stiff.history = rep.history + stiff.history
            rep = stiff
        return rep

    def commit(self) -> None:
        for p in self.points.values():
            if p["trial"] is not None:
                p["last"] = p["state"]
                p["state"] = p["trial"]
                p["trial"] = None
        self.last_increment = (self.u.x.array - self.u_committed, self.step_length)
        self.u_committed = self.u.x.array.copy()

    def rollback(self) -> None:
        self.u.x.array[:] = self.u_committed
        for p in self.points.values():
            p["trial"] = None

    # -- reading the state ----------------------------------------------------------------
    def region_average(self, region: str, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Volume average over the region's points (or the masked ones) of (npoints, k)
        values; collective."""
        p = self.points[region]
        w = p["volume"].ravel()
        if mask is not None:
            w = w * mask
        local = np.concatenate([[w.sum()], (w[:, None] * values).sum(axis=0)]) if len(w) else \
            np.zeros(1 + values.shape[1])
        total = self.domain.comm.allreduce(local, op=MPI.SUM)
        return total[1:] / total[0] if total[0] > 0 else np.full(values.shape[1], np.nan)

    def point_coordinates(self, region: str) -> np.ndarray:
        """(npoints, gdim) physical coordinates of the region's quadrature points."""
        p = self.points[region]
        X = ufl.SpatialCoordinate(self.domain.mesh)
        expr = fem.Expression(X, self.Q1.element.interpolation_points)
        if len(p["cells"]) == 0:
            return np.zeros((0, self.domain.gdim))
        return expr.eval(self.domain.mesh, p["cells"]).reshape(-1, self.domain.gdim)

    def destroy(self) -> None:
        self.solver.destroy()
        self.b.destroy()
