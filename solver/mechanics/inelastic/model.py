"""What every material model at quadrature points offers the solver.

A model is a frozen dataclass of constants (SI units) with a pure ``update``: the
mechanical strain at the end of a step (total minus thermal), the state at its start and
the step's temperatures and length in; the stress, the consistent tangent and the new
state out. Nothing is stored in the model, so a rejected Newton iterate or a cut step
costs nothing to undo: the solver keeps the committed state and hands it in again.

State rows begin with the fields every model reports, so per-region results read them
the same way for all models:

* ``inelastic_strain`` (6, Mandel): plastic, creep or viscous strain; the moduli may
  depend on temperature because the state holds strains, never stresses;
* ``accumulated``: equivalent inelastic strain p = integral of sqrt(2/3 d eps_in : d eps_in);
* ``work``: inelastic energy density (J/m^3), integral of sigma : d eps_in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from solver.mechanics.inelastic.tensors import ONE, deviator, equivalent_strain, isotropic_tangent, trace

COMMON = (("inelastic_strain", 6), ("accumulated", 1), ("work", 1))


def moduli(E, nu):
    """(shear, bulk) modulus from Young's modulus and Poisson's ratio."""
    return E / (2.0 * (1.0 + nu)), E / (3.0 * (1.0 - 2.0 * nu))


@dataclass(frozen=True)
class Update:
    stress: np.ndarray  # (n, 6) Pa
    tangent: np.ndarray  # (n, 6, 6) Pa
    state: np.ndarray  # (n, state_size)


class PointModel:
    """Base of the models: the state layout and its common fields."""

    extra: ClassVar[tuple[tuple[str, int], ...]] = ()
    name: ClassVar[str] = ""

    def layout(self) -> dict[str, slice]:
        out, start = {}, 0
        for field, size in COMMON + tuple(self.extra):
            out[field] = slice(start, start + size)
            start += size
        return out

    def state_size(self) -> int:
        return sum(size for _, size in COMMON + tuple(self.extra))

    def initial_state(self, n: int) -> np.ndarray:
        return np.zeros((n, self.state_size()))

    def update(self, strain: np.ndarray, state: np.ndarray, T0: float, T1: float, dt: float, E: float,
               nu: float, guess: np.ndarray | None = None) -> Update:
        """``guess``: an estimate of each point's equivalent inelastic strain increment
        (the last Newton iterate's): a start for the local solve, never a result."""
        raise NotImplementedError


def commit_inelastic(state: np.ndarray, layout: dict[str, slice], eps_in_new: np.ndarray,
                     stress: np.ndarray) -> np.ndarray:
    """A copy of ``state`` with the new inelastic strain, its accumulated equivalent and
    the work sigma_(n+1) : d eps_in (backward Euler, like the update itself)."""
    new = state.copy()
    d_eps = eps_in_new - state[:, layout["inelastic_strain"]]
    new[:, layout["inelastic_strain"]] = eps_in_new
    new[:, layout["accumulated"]] += equivalent_strain(d_eps)[:, None]
    new[:, layout["work"]] += np.einsum("ij,ij->i", stress, d_eps)[:, None]
    return new


@dataclass(frozen=True)
class Elastic(PointModel):
    """Linear isotropic elasticity with the material's E(T) and nu."""

    name: ClassVar[str] = "elastic"

    def update(self, strain, state, T0, T1, dt, E, nu, guess=None) -> Update:
        G, K = moduli(E, nu)
        stress = 2.0 * G * deviator(strain) + (K * trace(strain))[:, None] * ONE
        return Update(stress, np.broadcast_to(isotropic_tangent(G, K), (len(strain), 6, 6)).copy(), state)
