"""Electrode kinetics as small pure functions (numpy or UFL), SI units.

Sign convention: the overpotential is eta = V_electrode - phi - E_eq (phi the electrolyte
potential next to the electrode); the current density i(eta) is positive when anodic
(current from the electrode into the electrolyte), negative when cathodic (deposition).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FARADAY = 96485.33212  # C/mol
GAS_CONSTANT = 8.314462618  # J/(mol K)


@dataclass(frozen=True)
class Electrode:
    """An electrode's kinetics (``none``: primary, no overpotential; ``linear``,
    ``butler_volmer``, ``tafel``). The exchange current density is unused for ``none``."""

    kinetics: str
    exchange_current_density: float = 1.0
    alpha_a: float = 0.5
    alpha_c: float = 0.5
    equilibrium_potential: float = 0.0


def f_over_rt(T: float) -> float:
    return FARADAY / (GAS_CONSTANT * T)


def butler_volmer(eta, i0: float, alpha_a: float, alpha_c: float, T: float, exp=np.exp):
    f = f_over_rt(T)
    return i0 * (exp(alpha_a * f * eta) - exp(-alpha_c * f * eta))


def linearised(eta, i0: float, alpha_a: float, alpha_c: float, T: float, exp=None):
    """Butler-Volmer linearised at eta = 0: i = eta / R_ct."""
    return eta / charge_transfer_resistance(i0, alpha_a, alpha_c, T)


def tafel(eta, i0: float, alpha_a: float, alpha_c: float, T: float, exp=np.exp):
    """The cathodic branch alone (deposition far from equilibrium)."""
    return -i0 * exp(-alpha_c * f_over_rt(T) * eta)


def charge_transfer_resistance(i0: float, alpha_a: float, alpha_c: float, T: float) -> float:
    """R_ct = RT / ((alpha_a + alpha_c) F i0), ohm m^2: the slope d eta / d i at equilibrium."""
    return 1.0 / ((alpha_a + alpha_c) * f_over_rt(T) * i0)


KINETICS = {"butler_volmer": butler_volmer, "linear": linearised, "tafel": tafel}


def overpotential_for(i: float, kind: str, i0: float, alpha_a: float, alpha_c: float, T: float) -> float:
    """The overpotential that drives current density i (bisection on the monotone i(eta))."""
    fn = KINETICS[kind]
    lo, hi = -5.0, 5.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if fn(mid, i0, alpha_a, alpha_c, T) < i:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def wagner_number(conductivity: float, polarisation_resistance: float, length: float) -> float:
    """Wa = kappa (d eta / d i) / L: above 1 the kinetics even out the ohmic distribution."""
    return conductivity * polarisation_resistance / length


def uniformity(i: np.ndarray, mean: float | None = None) -> float:
    """(max - min) / (2 mean) of a current density or thickness distribution: 0 when even.
    ``mean``: the distribution's area-weighted mean (its integral over the area); without
    it the samples' plain mean, right only for samples that stand for equal areas."""
    i = np.asarray(i, dtype=float)
    mean = i.mean() if mean is None else mean
    return float((i.max() - i.min()) / (2 * mean)) if mean else math.inf


def deposition_rate(current_density, molar_mass: float, density: float, valence: int,
                    efficiency: float = 1.0):
    """Faraday's law: the deposit grows at v = eps i M / (n F rho) (m/s) for a cathodic
    current density i (A/m^2, positive when depositing)."""
    return efficiency * np.asarray(current_density) * molar_mass / (valence * FARADAY * density)
