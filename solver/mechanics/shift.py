"""Time-temperature superposition for thermorheologically simple viscoelastic resins.

A relaxation time at temperature T is a_T(T) times its value at the reference temperature
T_ref, so a material clock runs in reduced time xi with dxi = dt / a_T(T(t)).

Conventions and units: temperatures in K, times in s, activation energy in J/mol, the WLF
constant C2 in K (C1 is dimensionless, base-10 as in Williams, Landel & Ferry 1955):

    WLF:        log10 a_T = -C1 (T - T_ref) / (C2 + T - T_ref)
    Arrhenius:  ln a_T    = (Ea / R) (1/T - 1/T_ref),  R = 8.314462618 J/(mol K)

With both given, WLF applies at and above T_ref (the rubbery side, for which it was fitted)
and Arrhenius below it (the glassy side); both give a_T(T_ref) = 1, so a_T is continuous
though its slope jumps at T_ref. With one given, it applies everywhere; WLF alone is
singular at T = T_ref - C2 and refuses temperatures at or below it.

Pure numpy: no dolfinx, PETSc or MPI here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

R_J_PER_MOL_K = 8.314462618
_LN10 = math.log(10.0)

# Gauss-Legendre on each sub-interval; sub-intervals double until two successive estimates
# agree to _REL_TOL. The cap only guards against a bug: a_T is smooth on either side of
# T_ref, so even 40 decades over one interval converge within a handful of doublings.
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)
_REL_TOL = 1e-14
_EPS = float(np.finfo(float).eps)
_MAX_DOUBLINGS = 16


@dataclass(frozen=True)
class ShiftFunction:
    """a_T(T) by WLF, Arrhenius, or WLF above T_ref with Arrhenius below."""

    T_ref: float
    wlf_C1: float | None = None
    wlf_C2: float | None = None
    arrhenius_activation_J_per_mol: float | None = None

    def __post_init__(self):
        _require_positive("T_ref", self.T_ref, "K")
        if (self.wlf_C1 is None) != (self.wlf_C2 is None):
            given = "wlf_C1" if self.wlf_C2 is None else "wlf_C2"
            raise ValueError(f"{given}: wlf_C1 and wlf_C2 go together; only {given} is given")
        if self.wlf_C1 is not None:
            _require_positive("wlf_C1", self.wlf_C1, "")
            _require_positive("wlf_C2", self.wlf_C2, "K")
        if self.arrhenius_activation_J_per_mol is not None:
            _require_positive("arrhenius_activation_J_per_mol", self.arrhenius_activation_J_per_mol, "J/mol")
        if not (self.has_wlf or self.has_arrhenius):
            raise ValueError("ShiftFunction: give the WLF constants (wlf_C1, wlf_C2), "
                             "arrhenius_activation_J_per_mol, or both")

    @property
    def has_wlf(self) -> bool:
        return self.wlf_C1 is not None

    @property
    def has_arrhenius(self) -> bool:
        return self.arrhenius_activation_J_per_mol is not None

    def log10_aT(self, T):
        """log10 a_T for a temperature or an array of temperatures (K)."""
        T = np.asarray(T, dtype=float)
        self._check(T)
        out = self._log10_at(T - self.T_ref, T)
        return float(out) if out.ndim == 0 else out

    def aT(self, T):
        """The shift factor a_T = tau(T) / tau(T_ref)."""
        return 10.0 ** self.log10_aT(T)

    def _log10_at(self, d: np.ndarray, T: np.ndarray) -> np.ndarray:
        """log10 a_T from the offset d = T - T_ref and T. Written in d, neither rule cancels
        near T_ref (1/T - 1/T_ref would lose digits there)."""
        if not self.has_arrhenius:
            out = self._wlf(d)
        elif not self.has_wlf:
            out = self._arrhenius(d, T)
        else:
            # WLF sees only d >= 0, away from its singularity, whichever branch is kept.
            out = np.where(d >= 0, self._wlf(np.maximum(d, 0.0)), self._arrhenius(d, T))
        # + 0.0 turns WLF's -0.0 at T_ref into 0.0.
        return np.asarray(out) + 0.0

    def _slope(self, d: np.ndarray, T: np.ndarray) -> np.ndarray:
        """|d log10 a_T / dT|, for the quadrature's round-off bound."""
        if self.has_wlf:
            d_wlf = np.maximum(d, 0.0) if self.has_arrhenius else d
            wlf = self.wlf_C1 * self.wlf_C2 / (self.wlf_C2 + d_wlf) ** 2
            if not self.has_arrhenius:
                return wlf
        arrhenius = self._arrhenius_scale() / T**2
        return np.where(d >= 0, wlf, arrhenius) if self.has_wlf else arrhenius

    def _wlf(self, d: np.ndarray) -> np.ndarray:
        return -self.wlf_C1 * d / (self.wlf_C2 + d)

    def _arrhenius(self, d: np.ndarray, T: np.ndarray) -> np.ndarray:
        # (Ea / R ln 10) (1/T - 1/T_ref), with 1/T - 1/T_ref = -d / (T T_ref).
        return -self._arrhenius_scale() * d / (T * self.T_ref)

    def _arrhenius_scale(self) -> float:
        return self.arrhenius_activation_J_per_mol / (R_J_PER_MOL_K * _LN10)

    def _check(self, T: np.ndarray) -> None:
        bad = ~(np.isfinite(T) & (T > 0))
        if np.any(bad):
            raise ValueError(f"T = {_first(T, bad):g} K: temperatures must be finite and > 0 K")
        if self.has_wlf and not self.has_arrhenius:
            T_sing = self.T_ref - self.wlf_C2
            bad = T <= T_sing
            if np.any(bad):
                raise ValueError(f"T = {_first(T, bad):g} K is at or below the WLF singularity T_ref - C2 = "
                                 f"{T_sing:g} K; give arrhenius_activation_J_per_mol for temperatures below T_ref")


def reduced_time_increment(shift: ShiftFunction, T0: float, T1: float, dt: float) -> float:
    """Increment of reduced time over a step of length dt (s) in which T goes linearly from
    T0 to T1 (K): the integral of dt'/a_T(T(t')), i.e. dt times the mean of 1/a_T over
    [T0, T1] (the substitution t' -> T makes the direction of the ramp irrelevant).

    Exact to round-off (~1e-14 relative; ~1e-13 where |log10 a_T| nears 100): composite
    Gauss-Legendre on either side of T_ref, where a_T is smooth, doubling the sub-intervals
    until two estimates agree to 1e-14 or to their round-off. Each side's integrand is
    scaled by its largest value, so 1/a_T may span any number of decades without
    underflow; only a result beyond the float range (1e308) overflows."""
    if not (math.isfinite(dt) and dt >= 0):
        raise ValueError(f"dt: must be >= 0 s, got {dt!r}")
    if dt == 0:
        return 0.0
    if T0 == T1:
        return dt / shift.aT(T0)
    lo, hi = min(T0, T1), max(T0, T1)
    edges = [lo, shift.T_ref, hi] if lo < shift.T_ref < hi else [lo, hi]
    pieces = [_scaled_integral(shift, a, b) for a, b in zip(edges[:-1], edges[1:])]
    top = max(g for g, _ in pieces)
    total = sum(10.0 ** (g - top) * s for g, s in pieces)
    return dt * total / (hi - lo) * 10.0**top


def _scaled_integral(shift: ShiftFunction, a: float, b: float) -> tuple[float, float]:
    """(g, s) with the integral of 1/a_T over [a, b] equal to 10**g * s.

    a_T falls monotonically with T for positive constants, so 1/a_T peaks at an end; g is
    that peak, which keeps every scaled sample in (0, 1]. Refinement stops when two
    estimates agree to 1e-14, or to the integrand's own round-off if that is larger (a_T
    10^100 away is known only to ~1e-13: its exponent carries 1e-16 of 100)."""
    g = float(max(-shift.log10_aT(a), -shift.log10_aT(b)))
    da, db = a - shift.T_ref, b - shift.T_ref
    previous, noise = _composite(shift, da, db, 1, g)
    n = 1
    for _ in range(_MAX_DOUBLINGS):
        n *= 2
        current, noise_n = _composite(shift, da, db, n, g)
        if abs(current - previous) <= max(_REL_TOL, noise + noise_n) * current:
            return g, current
        previous, noise = current, noise_n
    raise RuntimeError(f"reduced_time_increment: no convergence over [{a:g}, {b:g}] K with {n} sub-intervals")


def _composite(shift: ShiftFunction, da: float, db: float, n: int, g: float) -> tuple[float, float]:
    """Composite n-interval Gauss-Legendre of 10**(-log10 a_T - g) over offsets [da, db]
    from T_ref, and a bound on the estimate's relative round-off.

    Nodes are placed in the offset d = T - T_ref, so near T_ref, where WLF is steepest, a
    node is off by an ulp of d rather than of T. The bound: a sample's exponent is off by
    a few ulps of |log10 a_T| and |g|, and its node by a few ulps of d, which the slope
    turns into exponent error; 10**x turns an exponent error e into a relative ln(10) e.
    Weights are positive, so the estimate's relative error is at most the worst sample's."""
    edges = np.linspace(da, db, n + 1)
    half = 0.5 * np.diff(edges)
    mid = 0.5 * (edges[:-1] + edges[1:])
    d = mid[:, None] + half[:, None] * _GL_X[None, :]
    T = shift.T_ref + d
    y = shift._log10_at(d, T)
    f = 10.0 ** (-y - g)
    exponent_error = 4 * _EPS * (np.abs(y) + abs(g) + np.abs(d) * shift._slope(d, T))
    noise = _EPS + _LN10 * float(np.max(exponent_error))
    return float(np.sum(half * (f @ _GL_W))), noise


def _require_positive(name: str, value, unit: str) -> None:
    if not (isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name}: must be > 0{' ' + unit if unit else ''}, got {value!r}")


def _first(T: np.ndarray, bad: np.ndarray) -> float:
    return float(T[bad].flat[0]) if T.ndim else float(T)
