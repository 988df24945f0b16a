"""A material-point driver (like MFront's MTest): run a model through a history of
prescribed strain or stress components, solving for the free strain components with the
model's own consistent tangent. It calibrates a constant set against a test curve without
a mesh, and it is how the closed forms of single-point histories are checked."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.mechanics.inelastic.model import PointModel
from solver.mechanics.inelastic.return_mapping import LocalUpdateFailed


@dataclass
class History:
    time: np.ndarray  # (k,) s
    strain: np.ndarray  # (k, 6) Mandel
    stress: np.ndarray  # (k, 6) Mandel
    state: np.ndarray  # (k, state_size)
    iterations: np.ndarray  # (k,) Newton iterations per step


def drive(model: PointModel, times, strain_targets, stress_targets, E, nu, temperature=293.15, state=None,
          tolerance: float = 1e-12, max_iterations: int = 25) -> History:
    """``strain_targets``/``stress_targets``: (k, 6) arrays with NaN where the component
    is free (exactly one of the two is given for each component at each step).
    ``temperature``: a number or a (k,) array in K; ``E`` may be a callable of T."""
    times = np.asarray(times, dtype=float)
    eps_t = np.asarray(strain_targets, dtype=float)
    sig_t = np.asarray(stress_targets, dtype=float)
    temps = np.broadcast_to(np.asarray(temperature, dtype=float), times.shape)
    E_of = E if callable(E) else (lambda T: E)
    state = model.initial_state(1) if state is None else state
    eps = np.zeros(6)
    out_eps, out_sig, out_state, its = [np.zeros(6)], [np.zeros(6)], [state[0].copy()], [0]
    for k in range(1, len(times)):
        fixed = ~np.isnan(eps_t[k])
        if np.any(fixed == ~np.isnan(sig_t[k])):
            raise ValueError(f"step {k}: give each component as either strain or stress")
        eps = eps.copy()
        eps[fixed] = eps_t[k, fixed]
        free = ~fixed
        dt = times[k] - times[k - 1]
        for it in range(1, max_iterations + 1):
            upd = model.update(eps[None], state, temps[k - 1], temps[k], dt, E_of(temps[k]), nu)
            r = upd.stress[0, free] - sig_t[k, free]
            scale = max(np.abs(upd.stress[0]).max(), 1.0)
            if not free.any() or np.abs(r).max() <= tolerance * scale:
                break
            J = upd.tangent[0][np.ix_(free, free)]
            eps[free] -= np.linalg.solve(J, r)
        else:
            raise LocalUpdateFailed(f"step {k}: the stress targets were not met in {max_iterations} iterations")
        state = upd.state
        out_eps.append(eps.copy())
        out_sig.append(upd.stress[0].copy())
        out_state.append(state[0].copy())
        its.append(it)
    return History(times, np.array(out_eps), np.array(out_sig), np.array(out_state), np.array(its))


def uniaxial(axial_strain=None, axial_stress=None) -> tuple[np.ndarray, np.ndarray]:
    """Targets for uniaxial stress: the axial (xx) strain or stress per step, every other
    stress component zero."""
    values = axial_strain if axial_strain is not None else axial_stress
    k = len(values)
    eps = np.full((k, 6), np.nan)
    sig = np.zeros((k, 6))
    if axial_strain is not None:
        eps[:, 0] = values
        sig[:, 0] = np.nan
    else:
        sig[:, 0] = values
    return eps, sig
