"""Viscoelastic resin: a generalised Maxwell body (Prony series in shear, optionally in
bulk) with time-temperature superposition.

Moduli follow ANSYS's TB,PRONY convention: the material's E and nu give the instantaneous
(glassy) shear and bulk moduli G0, K0, and a Prony term is a relative modulus g_i with its
relaxation time tau_i:  G(t) = G0 (g_inf + sum g_i exp(-t/tau_i)),  g_inf = 1 - sum g_i.

Each branch keeps its elastic strain h_i; over a step of reduced time d_xi with a strain
increment d_e (Taylor, Pister & Goudreau 1970)

    h_i <- exp(-d_xi/tau_i) h_i + tau_i/d_xi (1 - exp(-d_xi/tau_i)) d_e,

which is exact for a strain linear in reduced time. 1 - exp(-x) is evaluated as
-expm1(-x): for d_xi << tau_i the difference of two numbers near 1 would lose it.

The reduced time d_xi = integral dt / a_T(T(t)) comes from the shift function
(:mod:`solver.mechanics.shift`), exact for the linear temperature of a step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from solver.mechanics.inelastic.model import PointModel, Update, commit_inelastic, moduli
from solver.mechanics.inelastic.tensors import ONE, P_DEV, P_VOL, deviator, trace


def relaxation_weights(d_xi: float, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(exp(-d_xi/tau), tau/d_xi (1 - exp(-d_xi/tau))) for each relaxation time."""
    x = d_xi / tau
    decay = np.exp(-x)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(x > 0.0, -np.expm1(-x) / np.where(x > 0, x, 1.0), 1.0)
    return decay, gain


@dataclass(frozen=True)
class Prony(PointModel):
    """``shear``/``bulk``: ((g_i, tau_i), ...) relative moduli and relaxation times (s, at
    the shift function's reference temperature). ``shift``: a_T, or None (no temperature
    dependence)."""

    shear: tuple[tuple[float, float], ...]
    bulk: tuple[tuple[float, float], ...] = ()
    shift: object = None  # solver.mechanics.shift.ShiftFunction
    source: str = ""

    name: ClassVar[str] = "viscoelastic"

    @property
    def extra(self):  # previous strain, then one tensor per shear and one scalar per bulk term
        return (("strain", 6),) + tuple((f"shear_{i}", 6) for i in range(len(self.shear))) + \
            tuple((f"bulk_{i}", 1) for i in range(len(self.bulk)))

    def reduced_time(self, T0: float, T1: float, dt: float) -> float:
        if self.shift is None:
            return dt
        from solver.mechanics.shift import reduced_time_increment

        return reduced_time_increment(self.shift, T0, T1, dt)

    def relaxation_modulus(self, xi: np.ndarray, E: float, nu: float) -> tuple[np.ndarray, np.ndarray]:
        """(G(xi), K(xi)) at reduced time ``xi`` after a step strain."""
        G0, K0 = moduli(E, nu)
        xi = np.asarray(xi, dtype=float)

        def series(terms, M0):
            g = np.array([t[0] for t in terms])
            tau = np.array([t[1] for t in terms])
            rest = 1.0 - g.sum() if len(terms) else 1.0
            return M0 * (rest + (g * np.exp(-xi[..., None] / tau)).sum(axis=-1) if len(terms) else M0 * rest)

        return series(self.shear, G0), series(self.bulk, K0)

    def update(self, strain, state, T0, T1, dt, E, nu, guess=None) -> Update:
        lay = self.layout()
        G0, K0 = moduli(E, nu)
        d_xi = self.reduced_time(T0, T1, dt)
        e_new, v_new = deviator(strain), trace(strain)
        e_old = deviator(state[:, lay["strain"]])
        v_old = trace(state[:, lay["strain"]])
        new = state.copy()

        g = np.array([t[0] for t in self.shear])
        s = 2.0 * G0 * (1.0 - g.sum()) * e_new
        shear_stiff = G0 * (1.0 - g.sum())
        if len(self.shear):
            decay, gain = relaxation_weights(d_xi, np.array([t[1] for t in self.shear]))
            for i, gi in enumerate(g):
                h = decay[i] * state[:, lay[f"shear_{i}"]] + gain[i] * (e_new - e_old)
                new[:, lay[f"shear_{i}"]] = h
                s += 2.0 * G0 * gi * h
                shear_stiff += G0 * gi * gain[i]

        kb = np.array([t[0] for t in self.bulk])
        pressure = K0 * (1.0 - kb.sum()) * v_new
        bulk_stiff = K0 * (1.0 - kb.sum())
        if len(self.bulk):
            decay, gain = relaxation_weights(d_xi, np.array([t[1] for t in self.bulk]))
            for i, ki in enumerate(kb):
                h = decay[i] * state[:, lay[f"bulk_{i}"]][:, 0] + gain[i] * (v_new - v_old)
                new[:, lay[f"bulk_{i}"]] = h[:, None]
                pressure += K0 * ki * h
                bulk_stiff += K0 * ki * gain[i]

        stress = s + pressure[:, None] * ONE
        tangent = np.broadcast_to(3.0 * bulk_stiff * P_VOL + 2.0 * shear_stiff * P_DEV,
                                  (len(strain), 6, 6)).copy()
        new[:, lay["strain"]] = strain
        # the viscous (inelastic) strain: what the instantaneous modulus does not explain
        eps_in = e_new - s / (2.0 * G0)
        new = commit_inelastic(new, lay, eps_in, stress)
        return Update(stress, tangent, new)
