"""Symmetric 3x3 tensors as Mandel 6-vectors [xx, yy, zz, sqrt2 yz, sqrt2 xz, sqrt2 xy].

The basis is orthonormal: a double contraction of tensors is the dot product of their
vectors and fourth-order tensors with both symmetries are 6x6 matrices, so a tangent
built from outer products of Mandel vectors is the tangent of the tensors."""

from __future__ import annotations

import numpy as np

SQ2 = np.sqrt(2.0)
_PAIRS = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))
_SCALE = np.array([1.0, 1.0, 1.0, SQ2, SQ2, SQ2])

ONE = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])  # the identity tensor
P_VOL = np.outer(ONE, ONE) / 3.0  # projects onto the volumetric part
P_DEV = np.eye(6) - P_VOL  # projects onto the deviator


def to_mandel(t: np.ndarray) -> np.ndarray:
    """(..., 3, 3) symmetric tensors -> (..., 6)."""
    return np.stack([t[..., i, j] for i, j in _PAIRS], axis=-1) * _SCALE


def from_mandel(v: np.ndarray) -> np.ndarray:
    """(..., 6) -> (..., 3, 3)."""
    w = v / _SCALE
    t = np.empty(v.shape[:-1] + (3, 3))
    for k, (i, j) in enumerate(_PAIRS):
        t[..., i, j] = w[..., k]
        t[..., j, i] = w[..., k]
    return t


def trace(v: np.ndarray) -> np.ndarray:
    return v[..., 0] + v[..., 1] + v[..., 2]


def deviator(v: np.ndarray) -> np.ndarray:
    return v - trace(v)[..., None] * ONE / 3.0


def equivalent_stress(s: np.ndarray) -> np.ndarray:
    """von Mises sqrt(3/2 s:s) of deviators (or of any stress: its deviator is taken)."""
    d = deviator(s)
    return np.sqrt(1.5 * np.einsum("...i,...i->...", d, d))


def equivalent_strain(e: np.ndarray) -> np.ndarray:
    """sqrt(2/3 e:e) of a deviatoric (inelastic) strain: equals the uniaxial strain of an
    incompressible uniaxial state."""
    return np.sqrt(2.0 / 3.0 * np.einsum("...i,...i->...", e, e))


def isotropic_tangent(G: np.ndarray, K: np.ndarray) -> np.ndarray:
    """(n,) shear and bulk moduli -> (n, 6, 6) elastic tangents 3K P_vol + 2G P_dev."""
    G = np.asarray(G, dtype=float).reshape(-1, 1, 1)
    K = np.asarray(K, dtype=float).reshape(-1, 1, 1)
    return 3.0 * K * P_VOL + 2.0 * G * P_DEV
