"""J2 (von Mises) rate-independent plasticity for Cu, Au, Ni: isotropic hardening (linear,
Voce, or tabulated yield stress against plastic strain per temperature) and linear
kinematic (Prager) hardening for cyclic loops. Backward Euler radial return, exact for
linear hardening (Simo & Hughes 1998, ch. 3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from solver.mechanics.inelastic.model import PointModel, Update, commit_inelastic, moduli
from solver.mechanics.inelastic.return_mapping import decreasing_root, radial_return, start


@dataclass(frozen=True)
class Hardening:
    """Yield stress sigma_y(p, T) = sigma_0 + H p + (sigma_sat - sigma_0)(1 - exp(-b p))
    (Voce when ``saturation`` is set, linear otherwise), or, with ``table``, piecewise
    linear in p per temperature (held beyond the last p: perfectly plastic there) and
    linear in T between the tables (held beyond the extreme temperatures)."""

    yield_stress: float = 0.0  # Pa
    modulus: float = 0.0  # H, Pa
    saturation: float | None = None  # Voce sigma_sat, Pa
    rate: float = 0.0  # Voce b
    # ((T, ((p, sigma_y), ...)), ...) in K and Pa, temperatures increasing
    table: tuple[tuple[float, tuple[tuple[float, float], ...]], ...] | None = None

    def __call__(self, p: np.ndarray, T: float) -> tuple[np.ndarray, np.ndarray]:
        """(sigma_y, d sigma_y / dp)."""
        if self.table is not None:
            return self._tabulated(p, T)
        sy = self.yield_stress + self.modulus * p
        dsy = np.full_like(p, self.modulus)
        if self.saturation is not None:
            decay = np.exp(-self.rate * p)
            sy = sy + (self.saturation - self.yield_stress) * (1.0 - decay)
            dsy = dsy + (self.saturation - self.yield_stress) * self.rate * decay
        return sy, dsy

    def _tabulated(self, p, T):
        temps = [t for t, _ in self.table]
        k = int(np.clip(np.searchsorted(temps, T) - 1, 0, max(len(temps) - 2, 0)))
        curves = [self._curve(c, p) for _, c in self.table[k:k + 2]]
        if len(curves) == 1:
            return curves[0]
        w = float(np.clip((T - temps[k]) / (temps[k + 1] - temps[k]), 0.0, 1.0))
        return tuple((1 - w) * a + w * b for a, b in zip(*curves))

    @staticmethod
    def _curve(points, p):
        ps = np.array([a for a, _ in points])
        sy = np.array([b for _, b in points])
        slopes = np.append(np.diff(sy) / np.diff(ps), 0.0)
        idx = np.clip(np.searchsorted(ps, p, side="right") - 1, 0, len(ps) - 1)
        return np.interp(p, ps, sy), slopes[idx]


@dataclass(frozen=True)
class J2Plasticity(PointModel):
    """Elasto-plastic metal: ``hardening`` isotropic, ``kinematic_modulus`` C of Prager's
    rule d alpha = 2/3 C d eps_p (the uniaxial plastic slope C adds to H)."""

    hardening: Hardening = field(default_factory=Hardening)
    kinematic_modulus: float = 0.0  # Pa

    name: ClassVar[str] = "plastic"
    extra: ClassVar = (("backstress", 6),)

    def update(self, strain, state, T0, T1, dt, E, nu, guess=None) -> Update:
        lay = self.layout()
        G, K = moduli(E, nu)
        p_n = state[:, lay["accumulated"]][:, 0]
        alpha = state[:, lay["backstress"]]
        C = self.kinematic_modulus

        def solve_dp(q, active):
            dp = np.zeros_like(q)
            ddp = np.zeros_like(q)
            sy, _ = self.hardening(p_n, T1)
            yielding = active & (q > sy * (1.0 + 1e-12))
            if not yielding.any():
                return dp, ddp
            idx = np.flatnonzero(yielding)
            qi, pi = q[idx], p_n[idx]

            def residual(x, sub):
                s, ds = self.hardening(pi[sub] + x, T1)
                return qi[sub] - (3.0 * G + C) * x - s, -(3.0 * G + C) - ds

            x = decreasing_root(residual, np.zeros_like(qi), qi / (3.0 * G + C), start(guess, idx))
            _, ds = self.hardening(pi + x, T1)
            dp[idx], ddp[idx] = x, 1.0 / (3.0 * G + C + ds)
            return dp, ddp

        ret = radial_return(strain, state[:, lay["inelastic_strain"]], G, K, solve_dp, alpha)
        eps_in = state[:, lay["inelastic_strain"]] + ret.dp[:, None] * ret.direction
        new = commit_inelastic(state, lay, eps_in, ret.stress)
        new[:, lay["backstress"]] = alpha + (2.0 / 3.0) * C * ret.dp[:, None] * ret.direction
        return Update(ret.stress, ret.tangent, new)
