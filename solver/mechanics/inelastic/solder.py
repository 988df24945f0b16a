"""Visco-plastic solder: Anand's unified model and the Garofalo (hyperbolic sine) and
Norton (power law) creep laws, integrated by backward Euler with the consistent tangent.

Each law is inverted to give the flow stress at an inelastic strain rate, so the scalar
return equation  q - 3G dp - sigma_flow(dp/dt) = 0  is monotone in dp and its root is
bracketed by [0, q/3G]: a safeguarded Newton converges however stiff the exponentials.

Constant sets in the literature scatter by orders of magnitude, so no law has defaults:
a case names a cited library set (:data:`LIBRARY`) or gives every constant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from solver.mechanics.inelastic.model import PointModel, Update, commit_inelastic, moduli
from solver.mechanics.inelastic.return_mapping import decreasing_root, radial_return, start

R_GAS = 8.314462618  # J/(mol K)


@dataclass(frozen=True)
class CreepLaw(PointModel):
    """Base of the laws with a flow stress sigma_flow(rate, T) and no internal variable."""

    def flow_stress(self, rate: np.ndarray, T: float) -> tuple[np.ndarray, np.ndarray]:
        """(sigma, d sigma / d rate) at the inelastic strain rate ``rate`` > 0."""
        raise NotImplementedError

    def creep_rate(self, sigma: np.ndarray, T: float) -> np.ndarray:
        raise NotImplementedError

    def update(self, strain, state, T0, T1, dt, E, nu, guess=None) -> Update:
        lay = self.layout()
        G, K = moduli(E, nu)

        def solve_dp(q, active):
            dp = np.zeros_like(q)
            ddp = np.zeros_like(q)
            idx = np.flatnonzero(active)
            if idx.size == 0 or dt <= 0.0:  # no time: the instantaneous (elastic) response
                return dp, ddp
            qi = q[idx]

            def residual(x, sub):
                with np.errstate(divide="ignore"):
                    s, ds = self.flow_stress(x / dt, T1)
                return qi[sub] - 3.0 * G * x - s, -3.0 * G - ds / dt

            x = decreasing_root(residual, np.zeros_like(qi), qi / (3.0 * G), start(guess, idx))
            with np.errstate(divide="ignore"):
                _, ds = self.flow_stress(x / dt, T1)
            dp[idx] = x
            ddp[idx] = np.where(np.isfinite(ds), 1.0 / (3.0 * G + ds / dt), 0.0)
            return dp, ddp

        ret = radial_return(strain, state[:, lay["inelastic_strain"]], G, K, solve_dp)
        eps_in = state[:, lay["inelastic_strain"]] + ret.dp[:, None] * ret.direction
        return Update(ret.stress, ret.tangent, commit_inelastic(state, lay, eps_in, ret.stress))


@dataclass(frozen=True)
class Garofalo(CreepLaw):
    """Steady-state creep d eps/dt = C1 sinh(C2 sigma)^C3 exp(-Q/(R T)) (Garofalo 1963),
    C1 in 1/s, C2 in 1/Pa, Q in J/mol."""

    C1: float
    C2: float
    C3: float
    activation_energy: float
    source: str = ""

    name: ClassVar[str] = "garofalo"

    def _B(self, T):
        return self.C1 * np.exp(-self.activation_energy / (R_GAS * T))

    def creep_rate(self, sigma, T):
        return self._B(T) * np.sinh(self.C2 * sigma) ** self.C3

    def flow_stress(self, rate, T):
        z = (rate / self._B(T)) ** (1.0 / self.C3)
        sigma = np.arcsinh(z) / self.C2
        dsigma = z / (self.C3 * rate * self.C2 * np.sqrt(1.0 + z * z))
        return sigma, dsigma


@dataclass(frozen=True)
class Norton(CreepLaw):
    """Power-law creep d eps/dt = A (sigma/sigma_unit)^n exp(-Q/(R T)), A in 1/s."""

    A: float
    n: float
    activation_energy: float
    stress_unit: float = 1e6  # Pa: the constants are quoted per MPa^n in the literature
    source: str = ""

    name: ClassVar[str] = "norton"

    def _B(self, T):
        return self.A * np.exp(-self.activation_energy / (R_GAS * T))

    def creep_rate(self, sigma, T):
        return self._B(T) * (sigma / self.stress_unit) ** self.n

    def flow_stress(self, rate, T):
        sigma = self.stress_unit * (rate / self._B(T)) ** (1.0 / self.n)
        return sigma, sigma / (self.n * rate)


@dataclass(frozen=True)
class Anand(PointModel):
    """Anand's model in the 9-constant form of ANSYS (TB,ANAND) and COMSOL (Brown, Kim &
    Anand 1989): flow  d eps_p/dt = A exp(-Q/RT) sinh(xi sigma/s)^(1/m);  deformation
    resistance  ds/dt = h0 |1 - s/s*|^a sign(1 - s/s*) d eps_p/dt,
    s* = s_hat (d eps_p/dt exp(Q/RT)/A)^n.  Both are integrated by backward Euler: given
    dp, s solves its (monotone) evolution equation inside [s_n, s*]."""

    s0: float  # Pa
    Q_over_R: float  # K
    A: float  # 1/s
    xi: float
    m: float
    h0: float  # Pa
    s_hat: float  # Pa
    n: float
    a: float
    source: str = ""

    name: ClassVar[str] = "anand"
    extra: ClassVar = (("resistance", 1),)

    def initial_state(self, n: int) -> np.ndarray:
        state = np.zeros((n, self.state_size()))
        state[:, self.layout()["resistance"]] = self.s0
        return state

    def saturation(self, rate: np.ndarray, T: float) -> np.ndarray:
        return self.s_hat * (rate * np.exp(self.Q_over_R / T) / self.A) ** self.n

    def steady_stress(self, rate, T):
        """sigma* = (s_hat/xi) Z^n asinh(Z^m) at the inelastic strain rate ``rate``."""
        Z = rate * np.exp(self.Q_over_R / T) / self.A
        return self.s_hat / self.xi * Z**self.n * np.arcsinh(Z**self.m)

    def resistance(self, s_n: np.ndarray, dp: np.ndarray, dt: float, T: float,
                   guess: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(s, ds/d dp): the backward-Euler resistance after an increment dp (``guess``:
        an estimate of s, e.g. at the last dp tried)."""
        s = s_n.copy()
        ds = np.zeros_like(s)
        moving = dp > 0.0
        if not moving.any():
            return s, ds
        idx = np.flatnonzero(moving)
        sn, d = s_n[idx], dp[idx]
        star = self.saturation(d / dt, T)

        def evolution(x, sub):  # F(s) = s_n + h0 dp phi(1 - s/s*) - s: decreasing in s
            b = 1.0 - x / star[sub]
            phi = np.sign(b) * np.abs(b) ** self.a
            dphi = self.a * np.abs(b) ** (self.a - 1.0)
            return sn[sub] + self.h0 * d[sub] * phi - x, -self.h0 * d[sub] * dphi / star[sub] - 1.0

        x = decreasing_root(evolution, np.minimum(sn, star), np.maximum(sn, star), start(guess, idx))
        b = 1.0 - x / star
        phi = np.sign(b) * np.abs(b) ** self.a
        dphi = self.a * np.abs(b) ** (self.a - 1.0)
        # implicit derivative of F(s(dp), dp) = 0; ds*/d dp = n s*/dp
        dF_ds = -self.h0 * d * dphi / star - 1.0
        dF_dp = self.h0 * phi + self.h0 * d * dphi * x / star**2 * (self.n * star / d)
        s[idx], ds[idx] = x, -dF_dp / dF_ds
        return s, ds

    def coupled(self, q: np.ndarray, s_n: np.ndarray, dp0: np.ndarray, G: float, dt: float, T: float,
                max_iterations: int = 12, rtol: float = 1e-13):
        """Newton on the flow and the resistance equations together, from dp0 > 0 (a
        previous iterate's increment): one pass per iteration where the nested solve of
        :meth:`update` needs a resistance solve inside every flow iteration (3x fewer
        evaluations on a die attach). No safeguard: returns (dp, s, d dp/dq, converged) and
        the caller solves the points that did not converge the safe way."""
        A_T = self.A * np.exp(-self.Q_over_R / T)
        dp = dp0.astype(float).copy()
        s = s_n.copy()
        hi = q / (3.0 * G)
        ok = np.ones(len(q), bool)
        done = np.zeros(len(q), bool)
        ddp = np.zeros_like(q)
        with np.errstate(all="ignore"):
            for _ in range(max_iterations):
                zm = (dp / (dt * A_T)) ** self.m
                f = np.arcsinh(zm) / self.xi
                df = self.m * zm / dp / (self.xi * np.sqrt(1.0 + zm * zm))
                star = self.saturation(dp / dt, T)
                b = 1.0 - s / star
                phi = np.sign(b) * np.abs(b) ** self.a
                dphi = self.a * np.abs(b) ** (self.a - 1.0)
                r1 = q - 3.0 * G * dp - s * f
                r2 = s_n + self.h0 * dp * phi - s
                # d/d dp of s*: n s*/dp, so d r2/d dp = h0 phi + h0 dp dphi (s/s*^2)(n s*/dp)
                a11, a12 = -3.0 * G - s * df, -f
                a21, a22 = self.h0 * phi + self.h0 * dphi * self.n * s / star, -self.h0 * dp * dphi / star - 1.0
                det = a11 * a22 - a12 * a21
                ddp = -a22 / det  # d dp/dq at this iterate (the system differentiated in q)
                step_dp = (r1 * a22 - a12 * r2) / det
                step_s = (a11 * r2 - a21 * r1) / det
                dp_new, s_new = dp - step_dp, s - step_s
                finished = (np.abs(step_dp) <= rtol * hi) & (np.abs(step_s) <= rtol * s)
                ok &= np.isfinite(dp_new) & np.isfinite(s_new) & (dp_new > 0) & (dp_new <= hi) & (s_new > 0)
                dp = np.where(ok, dp_new, dp)
                s = np.where(ok, s_new, s)
                done |= finished & ok
                if np.all(done | ~ok):
                    break
        return dp, s, ddp, done & ok

    def update(self, strain, state, T0, T1, dt, E, nu, guess=None) -> Update:
        lay = self.layout()
        G, K = moduli(E, nu)
        s_n = state[:, lay["resistance"]][:, 0]
        A_T = self.A * np.exp(-self.Q_over_R / T1)
        s_new = s_n.copy()

        def flow(x, sn, s_guess=None):
            s, ds = self.resistance(sn, x, dt, T1, s_guess)
            z = x / (dt * A_T)
            with np.errstate(divide="ignore", invalid="ignore"):
                zm = z**self.m
                dzm = np.where(x > 0, self.m * zm / x, np.inf)
            f = np.arcsinh(zm) / self.xi
            df = dzm / (self.xi * np.sqrt(1.0 + zm * zm))
            return s * f, ds * f + s * df, s

        def solve_dp(q, active):
            dp = np.zeros_like(q)
            ddp = np.zeros_like(q)
            idx = np.flatnonzero(active)
            if idx.size == 0 or dt <= 0.0:  # no time: the instantaneous (elastic) response
                return dp, ddp
            qi, si = q[idx], s_n[idx]
            if guess is not None:  # the quick way first, from the last iterate's increments
                g = guess[idx]
                fast = np.flatnonzero(g > 0.0)
                if fast.size:
                    x, s, d, conv = self.coupled(qi[fast], si[fast], g[fast], G, dt, T1)
                    took = idx[fast[conv]]
                    dp[took], s_new[took], ddp[took] = x[conv], s[conv], d[conv]
                    keep = np.ones(idx.size, bool)
                    keep[fast[conv]] = False
                    idx, qi, si = idx[keep], qi[keep], si[keep]
                    if idx.size == 0:
                        return dp, ddp
            s_last = np.full_like(qi, np.nan)  # the resistance at each point's last dp: the next start

            def residual(x, sub):
                sig, dsig, s = flow(x, si[sub], s_last[sub])
                s_last[sub] = s
                return qi[sub] - 3.0 * G * x - sig, -3.0 * G - dsig

            x = decreasing_root(residual, np.zeros_like(qi), qi / (3.0 * G), start(guess, idx))
            _, dsig, s = flow(x, si, s_last)
            dp[idx] = x
            ddp[idx] = np.where(np.isfinite(dsig), 1.0 / (3.0 * G + dsig), 0.0)
            s_new[idx] = s
            return dp, ddp

        ret = radial_return(strain, state[:, lay["inelastic_strain"]], G, K, solve_dp)
        eps_in = state[:, lay["inelastic_strain"]] + ret.dp[:, None] * ret.direction
        new = commit_inelastic(state, lay, eps_in, ret.stress)
        new[:, lay["resistance"]] = s_new[:, None]
        return Update(ret.stress, ret.tangent, new)
