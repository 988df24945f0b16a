"""Closed forms and series of plating distributions that the tests compare the solver with,
as small pure functions (numpy and scipy only).

Newman's disk (J. Newman, J. Electrochem. Soc. 113, 501 and 1235, 1966): a disk electrode
of radius r0 in an insulating plane, the counter electrode at infinity, conductivity kappa.
In rotational elliptic coordinates z = r0 xi eta, r = r0 sqrt((1 + xi^2)(1 - eta^2)) the
disk is xi = 0 (eta = sqrt(1 - (r/r0)^2), 1 at the centre, 0 at the rim) and the potential
that vanishes far away is

    Phi = V sum_n B_n P_2n(eta) M_2n(xi),   M_2n(0) = 1,
    M'_2n(0) = -(2/pi) [(2n)!! / (2n - 1)!!]^2

(M_2n the Legendre functions of the second kind of imaginary argument, normalised; P_2n
the Legendre polynomials). With linear kinetics, i = (V - Phi) / R_ct on the disk and
-kappa dPhi/dz = i, that is -(1/eta) dPhi/dxi = J (V - Phi) at xi = 0 with

    J = r0 / (kappa R_ct) = (alpha_a + alpha_c) F i0 r0 / (R T kappa).

Multiplied by eta P_2m(eta) and integrated over 0..1 (P_2n orthogonal, norm 1/(4m + 1)):

    -M'_2m(0) B_m / (4m + 1) + J sum_n K_mn B_n = J a_m,
    K_mn = int_0^1 eta P_2m P_2n d eta,   a_m = int_0^1 eta P_2m d eta,

Newman's linear system, truncated after ``terms`` coefficients. The total current is
I = 4 kappa r0 V B_0 (only P_0 carries current), so V / I = 1 / (4 kappa r0 B_0). J -> 0
gives a uniform current; J -> infinity the primary distribution i / i_avg =
0.5 / sqrt(1 - (r/r0)^2) with resistance 1 / (4 kappa r0).

The current density follows from the kinetics, i R_ct / V = 1 - Phi(0, eta) / V: finite up
to and including the rim, where the flux form -(1/eta) dPhi/dxi is 0/0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import legendre
from scipy.special import roots_legendre  # banded eigenproblem: 10x faster than numpy's leggauss at 800


def newman_m_prime(n: int) -> float:
    """M'_2n(0) = -(2/pi) [(2n)!! / (2n - 1)!!]^2, by the product of (2k / (2k - 1))
    (factorials overflow beyond n ~ 85)."""
    ratio = 1.0
    for k in range(1, n + 1):
        ratio *= 2 * k / (2 * k - 1)
    return -2 / math.pi * ratio**2


def _even_legendre(eta: np.ndarray, terms: int) -> np.ndarray:
    """P_0, P_2, ..., P_2(terms-1) at eta: shape (len(eta), terms)."""
    return legendre.legvander(np.asarray(eta, dtype=float), 2 * (terms - 1))[:, ::2]


@dataclass(frozen=True)
class SecondaryDisk:
    """Newman's secondary distribution on a disk electrode with linear kinetics at
    ``J`` = r0 / (kappa R_ct); ``B`` the coefficients of Phi / V."""

    J: float
    B: np.ndarray

    def surface_potential(self, r_over_r0) -> np.ndarray:
        """Phi / V on the disk at r / r0 (0 <= r/r0 <= 1)."""
        rho = np.clip(np.asarray(r_over_r0, dtype=float), 0.0, 1.0)
        return _even_legendre(np.sqrt(1.0 - rho**2), len(self.B)) @ self.B

    def current_density(self, r_over_r0) -> np.ndarray:
        """i R_ct / V, the local current density over that of a disk without ohmic drop."""
        return 1.0 - self.surface_potential(r_over_r0)

    @property
    def mean_current_density(self) -> float:
        """i_avg R_ct / V = I / (pi r0^2) R_ct / V = 4 B_0 / (pi J)."""
        return 4.0 * self.B[0] / (math.pi * self.J)

    def distribution(self, r_over_r0) -> np.ndarray:
        """i / i_avg at r / r0."""
        return self.current_density(r_over_r0) / self.mean_current_density

    @property
    def resistance(self) -> float:
        """kappa r0 V / I = 1 / (4 B_0): the cell's, counter electrode at infinity."""
        return 1.0 / (4.0 * self.B[0])

    @property
    def mean_overpotential(self) -> float:
        """The current-weighted overpotential over V, int eta i dA / (I V) = int u^2 / int u
        (u = i R_ct / V, area weight), by Gauss-Legendre in eta (dA ~ eta d eta)."""
        x, w = roots_legendre(2 * len(self.B) + 40)
        eta = 0.5 * (x + 1.0)
        w = 0.5 * w * eta
        u = 1.0 - _even_legendre(eta, len(self.B)) @ self.B
        return float((w * u * u).sum() / (w * u).sum())

    @property
    def ohmic_resistance(self) -> float:
        """kappa r0 (V - eta_mean) / I: the electrolyte's part of the cell resistance. It
        equals the Joule dissipation over I^2 (Green's identity), and runs from 8 / (3 pi^2)
        (uniform current, J -> 0) to 1/4 (primary, J -> infinity)."""
        return (1.0 - self.mean_overpotential) * self.resistance


def newman_secondary_disk(J: float, terms: int = 200) -> SecondaryDisk:
    """Solve Newman's truncated system for the coefficients B_0 .. B_(terms-1)."""
    if not J > 0 or not math.isfinite(J):
        raise ValueError(f"J must be positive and finite, not {J!r}")
    # eta P_2m P_2n has degree 4 terms - 3: 2 terms Gauss points integrate it exactly
    x, w = roots_legendre(2 * terms)
    eta = 0.5 * (x + 1.0)
    w = 0.5 * w
    P = _even_legendre(eta, terms)
    K = (P * (w * eta)[:, None]).T @ P
    a = P.T @ (w * eta)
    diagonal = np.array([-newman_m_prime(m) / (4 * m + 1) for m in range(terms)])
    B = np.linalg.solve(np.diag(diagonal) + J * K, J * a)
    return SecondaryDisk(float(J), B)


def primary_disk_distribution(r_over_r0) -> np.ndarray:
    """i / i_avg = 0.5 / sqrt(1 - (r/r0)^2) of the primary distribution (infinite at the rim)."""
    rho = np.asarray(r_over_r0, dtype=float)
    return 0.5 / np.sqrt(1.0 - rho**2)


def uniform_disk_potential(r_over_r0) -> np.ndarray:
    """Phi kappa / (i r0) on the disk when a uniform current density i leaves it into the
    half space: (2/pi) E(r/r0) (E the complete elliptic integral of the second kind, of
    modulus r/r0): 1 at the centre, 2/pi at the rim, area mean 8 / (3 pi). The first order
    of the secondary distribution as J -> 0: i / i_avg = 1 - J ((2/pi) E - 8 / (3 pi))."""
    from scipy.special import ellipe

    rho = np.asarray(r_over_r0, dtype=float)
    return 2.0 / math.pi * ellipe(rho**2)  # scipy's ellipe takes the parameter m = k^2
