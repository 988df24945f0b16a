"""The radial return shared by every von Mises material (J2 plasticity, Anand, Garofalo,
Norton): a model supplies only the scalar equation for the equivalent inelastic strain
increment dp given the trial equivalent stress q; the return, the inelastic strain update
and the consistent tangent are the same for all of them.

With s_tr = 2G (e - eps_in) the trial deviator, x = s_tr - backstress, q = sqrt(3/2 x:x)
and N = 3/2 x/q the flow direction:

    s = s_tr - 2G dp N,   eps_in += dp N,
    C = 3K P_vol + 2G (1 - 3G dp/q) P_dev - 4G^2 (d dp/dq - dp/q) N (x) N,

the last line being d sigma/d eps for any dp(q) (Simo & Hughes 1998, box 3.2, with
d dp/dq = 1/(3G + H) for linear hardening)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from solver.mechanics.inelastic.tensors import P_DEV, P_VOL, deviator, trace


class LocalUpdateFailed(ArithmeticError):
    """The material update did not converge at some quadrature points; the step is cut."""


@dataclass
class Return:
    stress: np.ndarray  # (n, 6)
    tangent: np.ndarray  # (n, 6, 6)
    dp: np.ndarray  # (n,) equivalent inelastic strain increment
    direction: np.ndarray  # (n, 6) flow direction N (zero where elastic)


def radial_return(strain: np.ndarray, eps_in: np.ndarray, G: np.ndarray, K: np.ndarray,
                  solve_dp: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
                  backstress: np.ndarray | None = None) -> Return:
    """``strain``: (n, 6) mechanical strain (total minus thermal); ``solve_dp(q, active)``
    returns (dp, d dp/dq) for the points in ``active`` (boolean mask), zero elsewhere."""
    n = strain.shape[0]
    G = np.broadcast_to(np.asarray(G, dtype=float), (n,))
    K = np.broadcast_to(np.asarray(K, dtype=float), (n,))
    tr = trace(strain)
    s_tr = 2.0 * G[:, None] * (deviator(strain) - eps_in)
    x = s_tr if backstress is None else s_tr - backstress
    q = np.sqrt(1.5 * np.einsum("ij,ij->i", x, x))
    active = q > 0.0
    dp, ddp = solve_dp(q, active)
    # whole-array arithmetic, no masked copies: at a few thousand points per region the
    # per-call overhead of numpy, not the flops, is the cost (a die attach's update 2x faster)
    inv_q = np.divide(1.0, q, out=np.zeros_like(q), where=active)
    N = (1.5 * inv_q)[:, None] * x
    stress = s_tr - (2.0 * G * dp)[:, None] * N
    stress[:, :3] += (K * tr)[:, None]
    plastic = dp > 0.0
    theta = np.where(plastic, 1.0 - 3.0 * G * dp * inv_q, 1.0)
    c = np.where(plastic, 4.0 * G**2 * (ddp - dp * inv_q), 0.0)
    tangent = np.multiply.outer(3.0 * K, P_VOL)
    tangent += np.multiply.outer(2.0 * G * theta, P_DEV)
    tangent -= c[:, None, None] * N[:, :, None] * N[:, None, :]
    return Return(stress, tangent, dp, N)


def start(guess: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
    """The guesses of the points ``idx`` (None: no guess)."""
    return None if guess is None else guess[idx]


def decreasing_root(fun: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]], lo: np.ndarray,
                    hi: np.ndarray, x0: np.ndarray | None = None, rtol: float = 1e-13,
                    max_iterations: int = 200) -> np.ndarray:
    """Roots of functions decreasing on [lo, hi] with f(lo) >= 0 >= f(hi), one per point:
    Newton where it stays inside the shrinking bracket, bisection otherwise, so the stiff
    exponential creep laws converge from any start (``x0``, else the midpoint). ``fun(x, idx)`` returns (f, df/dx) at
    the points ``idx``. Raises LocalUpdateFailed if a point does not converge."""
    lo, hi = lo.astype(float).copy(), hi.astype(float).copy()
    x = 0.5 * (lo + hi)
    if x0 is not None:  # a guess inside the bracket (a previous iterate's root) saves the bisections
        inside = (x0 > lo) & (x0 < hi)
        x[inside] = x0[inside]
    scale = np.maximum(np.abs(hi), np.abs(lo))
    todo = np.arange(len(x))
    for _ in range(max_iterations):
        if todo.size == 0:
            return x
        xt = x[todo]
        f, df = fun(xt, todo)
        if not np.all(np.isfinite(f)):
            raise LocalUpdateFailed("the material equation is not finite at some points")
        right = f > 0.0
        lo[todo] = np.where(right, xt, lo[todo])
        hi[todo] = np.where(right, hi[todo], xt)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xt - f / df
        inside = np.isfinite(newton) & (newton >= lo[todo]) & (newton <= hi[todo])
        new = np.where(inside, newton, 0.5 * (lo[todo] + hi[todo]))
        new = np.where(f == 0.0, xt, new)
        x[todo] = new
        done = (np.abs(new - xt) <= rtol * scale[todo]) | (f == 0.0) | (hi[todo] - lo[todo] <= rtol * scale[todo])
        todo = todo[~done]
    raise LocalUpdateFailed(f"the material update did not converge at {todo.size} points "
                            f"in {max_iterations} iterations")
