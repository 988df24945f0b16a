"""Closed forms of etch fronts (VALIDATION.md etch 1-3): the reaction-limited concavity,
the Stefan problem of a transient etch, the quasi-steady stagnant layer."""

from __future__ import annotations

import numpy as np


def isotropic_etch_volume(R: float, d: float) -> float:
    """Reaction-limited etch through a circular opening of radius R to depth d: every point
    within d of the disk. pi R^2 d + (pi^2 / 2) R d^2 + (2/3) pi d^3."""
    return float(np.pi * R**2 * d + np.pi**2 / 2 * R * d**2 + 2 / 3 * np.pi * d**3)


def stefan_lambda(beta: float) -> float:
    """The 1D diffusion-limited etch into a quiescent semi-infinite liquid (Stefan problem):
    s = 2 lam sqrt(D t) with sqrt(pi) lam exp(lam^2) (1 + erf lam) = beta, beta = c0 V_m.
    lam by Newton from the small-beta value beta / sqrt(pi) (the left side is increasing and
    convex)."""
    from math import erf, exp, pi, sqrt

    lam = beta / sqrt(pi)
    for _ in range(100):
        f = sqrt(pi) * lam * exp(lam * lam) * (1 + erf(lam)) - beta
        df = sqrt(pi) * exp(lam * lam) * ((1 + 2 * lam * lam) * (1 + erf(lam))) + 2 * lam
        step = f / df
        lam -= step
        if abs(step) < 1e-15 * max(lam, 1e-300):
            break
    return lam


def stagnant_layer_depth(t: float, K: float, layer: float) -> float:
    """Quasi-steady diffusion-limited 1D etch through a stagnant layer: h^2 / 2 + delta h =
    K t with K = V_m c0 D / s, solved for h."""
    return float(-layer + np.sqrt(layer * layer + 2 * K * t))
