"""Closed-form solutions the validation cases compare with (../shared/VALIDATION.md).

Pure functions of SI inputs. Sign conventions: dT = T - T_stress_free (cool-down is
negative); curvature is positive for a dome (top surface convex); an interface pressure is
positive in compression."""

from __future__ import annotations

import numpy as np


def timoshenko_curvature(E1, E2, t1, t2, a1, a2, dT) -> float:
    """Bimetal strip, layer 1 at the bottom (Timoshenko, J. Opt. Soc. Am. 11 (1925) 233):

    1/rho = 6 (a2 - a1) dT (1 + m)^2 / (h [3 (1 + m)^2 + (1 + m n)(m^2 + 1/(m n))]),
    m = t1/t2, n = E1/E2, h = t1 + t2. Plane stress: E; a plate in biaxial bending: pass
    the biaxial moduli E/(1 - nu)."""
    m, n, h = t1 / t2, E1 / E2, t1 + t2
    return 6 * (a2 - a1) * dT * (1 + m) ** 2 / (h * (3 * (1 + m) ** 2 + (1 + m * n) * (m**2 + 1 / (m * n))))


def laminate_bending(moduli, thicknesses, ctes, dT) -> tuple[float, float, float]:
    """Free thermal bending of a stack of layers (bottom first) under the Kirchhoff
    hypothesis, by force and moment equilibrium: eps(z) = eps0 + kappa z.

    ``moduli``: E (beam) or E/(1-nu) (plate). Returns (eps0 at z = 0, dome curvature,
    total thickness): an independent route to Timoshenko's formula, and the N-layer case."""
    z = np.concatenate([[0.0], np.cumsum(thicknesses)])
    M = np.asarray(moduli, dtype=float)
    a = np.asarray(ctes, dtype=float)
    z0, z1 = z[:-1], z[1:]
    A = np.sum(M * (z1 - z0))
    B = np.sum(M * (z1**2 - z0**2) / 2)
    D = np.sum(M * (z1**3 - z0**3) / 3)
    NT = np.sum(M * a * dT * (z1 - z0))
    MT = np.sum(M * a * dT * (z1**2 - z0**2) / 2)
    # A dome's top fibre is the longer one: eps = e0 + k z with k = -w'' > 0.
    e0, k = np.linalg.solve([[A, B], [B, D]], [NT, MT])
    return float(e0), float(k), float(z[-1])


def layer_mean_stress(moduli, thicknesses, ctes, dT, layer: int) -> float:
    """Mean in-plane stress of one layer of a freely bent laminate (beam or plate)."""
    e0, k, _ = laminate_bending(moduli, thicknesses, ctes, dT)
    z = np.concatenate([[0.0], np.cumsum(thicknesses)])
    zmid = 0.5 * (z[layer] + z[layer + 1])
    return float(moduli[layer] * (e0 + k * zmid - ctes[layer] * dT))


def stoney_curvature(Ms, hs, Mf, hf, a_s, a_f, dT) -> float:
    """Stoney's thin-film curvature (dome-positive) for a film (top) on a substrate, with
    the film's mismatch stress sigma_f = Mf (a_s - a_f) dT and biaxial moduli M:
    kappa = -6 hf sigma_f / (Ms hs^2). Valid only for hf << hs."""
    sigma_f = stoney_mismatch_stress(Mf, a_s, a_f, dT)
    return -6.0 * hf * sigma_f / (Ms * hs**2)


def stoney_mismatch_stress(Mf, a_s, a_f, dT) -> float:
    """Biaxial stress of a film held to the substrate's free thermal strain."""
    return Mf * (a_s - a_f) * dT


def stoney_film_stress(Ms, hs, hf, kappa) -> float:
    """Stoney's equation solved for the film stress from a measured (dome) curvature:
    sigma_f = -Ms hs^2 kappa / (6 hf), Ms = E_s/(1-nu_s)."""
    return -Ms * hs**2 * kappa / (6.0 * hf)


def lame_cylinder_pressure(E1, nu1, a1, E2, nu2, a2, a, b, dT) -> float:
    """Interface pressure of a core (1, radius a) in a tube (2, to radius b), plane strain:
    p = [(1+nu1) a1 - (1+nu2) a2] dT / [(1+nu1)(1-2nu1)/E1 + (1+nu2)((1-2nu2)a^2+b^2)/(E2(b^2-a^2))]."""
    num = ((1 + nu1) * a1 - (1 + nu2) * a2) * dT
    den = (1 + nu1) * (1 - 2 * nu1) / E1 + (1 + nu2) * ((1 - 2 * nu2) * a**2 + b**2) / (E2 * (b**2 - a**2))
    return num / den


def lame_tube_mean_hoop(p, a, b) -> float:
    """Area mean of the hoop stress p a^2/(b^2-a^2) (1 + b^2/r^2) over the tube a < r < b."""
    return p * a**2 / (b**2 - a**2) * (1 + 2 * b**2 * np.log(b / a) / (b**2 - a**2))


def sphere_shell_pressure(E1, nu1, a1, E2, nu2, a2, a, b, dT) -> float:
    """Interface pressure of a sphere (1, radius a) in a spherical shell (2, to radius b):
    p = (a1 - a2) dT / [(1-2nu1)/E1 + ((1-2nu2) a^3 + (1+nu2) b^3/2) / (E2 (b^3 - a^3))]."""
    den = (1 - 2 * nu1) / E1 + ((1 - 2 * nu2) * a**3 + (1 + nu2) * b**3 / 2) / (E2 * (b**3 - a**3))
    return (a1 - a2) * dT / den
