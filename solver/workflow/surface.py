"""Quadratic response surfaces and what they say: the least-squares fit with the terms a
design can identify, its R^2 and leave-one-out error, the Sobol indices of the surface in
closed form, and the best design in the box under constraints. Pure numerics on scaled
parameters x in [-1, 1]^p; ``solver.workflow.analyze`` turns a sweep into them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np


class Constraint(NamedTuple):
    response: str
    op: str  # "<=" or ">="
    limit: float  # in the response's own units

    def text(self) -> str:
        return f"{self.response} {self.op} {self.limit:g}"


# -- the response surface -------------------------------------------------------------------------
def quadratic_terms(p: int) -> list[tuple[int, ...]]:
    """Intercept, linear, pure quadratic, interactions: (), (i,), (i, i), (i, j) with i < j."""
    return [()] + [(i,) for i in range(p)] + [(i, i) for i in range(p)] + list(itertools.combinations(range(p), 2))


def design_matrix(x: np.ndarray, terms: list[tuple[int, ...]]) -> np.ndarray:
    x = np.atleast_2d(x)
    return np.column_stack([np.prod(x[:, list(t)], axis=1) if t else np.ones(len(x)) for t in terms])


def term_name(term: tuple[int, ...], names: list[str]) -> str:
    if not term:
        return "1"
    if len(term) == 2 and term[0] == term[1]:
        return f"{names[term[0]]}^2"
    return "*".join(names[i] for i in term)


def identifiable_terms(x: np.ndarray) -> tuple[list[tuple[int, ...]], list[tuple[tuple[int, ...], str]]]:
    """The quadratic terms the design can identify, and the dropped ones with the reason.

    A parameter sampled at two levels carries no curvature information, so its pure
    quadratic goes first; then interactions (last first) while the design is rank deficient
    or leaves no residual to estimate the error with; then the remaining pure quadratics."""
    n, p = x.shape
    terms = quadratic_terms(p)
    dropped = []
    for i in range(p):
        if len(np.unique(x[:, i])) < 3:
            terms.remove((i, i))
            dropped.append(((i, i), "the parameter has fewer than 3 levels: no curvature information"))

    def short(ts):
        return len(ts) >= n or np.linalg.matrix_rank(design_matrix(x, ts)) < len(ts)

    for kind, reason in ((lambda t: len(t) == 2 and t[0] != t[1], "interaction"),
                         (lambda t: len(t) == 2 and t[0] == t[1], "pure quadratic")):
        for t in [t for t in terms if kind(t)][::-1]:
            if not short(terms):
                break
            terms.remove(t)
            dropped.append((t, f"{reason}: the design cannot identify it besides the other terms "
                               f"({n} cases)"))
    return terms, dropped


@dataclass
class Surface:
    """y = sum_k beta_k prod_{i in term_k} x_i, x scaled to [-1, 1]."""

    terms: list[tuple[int, ...]]
    beta: np.ndarray
    p: int

    def __call__(self, x) -> np.ndarray:
        return design_matrix(np.atleast_2d(x), self.terms) @ self.beta

    def gradient(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        g = np.zeros(self.p)
        for t, b in zip(self.terms, self.beta):
            for k, i in enumerate(t):
                rest = t[:k] + t[k + 1:]
                g[i] += b * np.prod(x[list(rest)]) if rest else b
        return g

    def coefficient(self, term: tuple[int, ...]) -> float:
        return float(self.beta[self.terms.index(term)]) if term in self.terms else 0.0


@dataclass
class Fit:
    surface: Surface
    r2: float | None
    r2_adjusted: float | None
    loo_rms: float | None  # leave-one-out (PRESS) root mean square error, response units
    residual_rms: float
    dropped: list = field(default_factory=list)


def fit_surface(x: np.ndarray, y: np.ndarray, terms: list[tuple[int, ...]] | None = None) -> Fit:
    """Least squares on the identifiable quadratic terms (all of them unless ``terms``)."""
    dropped = []
    if terms is None:
        terms, dropped = identifiable_terms(x)
    n, k = len(y), len(terms)
    a = design_matrix(x, terms)
    q, r = np.linalg.qr(a)
    beta = np.linalg.solve(r, q.T @ y)
    resid = y - a @ beta
    # The hat matrix H = Q Q^T; its diagonal gives every leave-one-out residual at once:
    # e_(i) = e_i / (1 - h_ii), no refits.
    h = np.sum(q**2, axis=1)
    sse = float(resid @ resid)
    sst = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - sse / sst if sst > 0 else None
    r2_adj = 1.0 - (1.0 - r2) * (n - 1) / (n - k) if r2 is not None and n > k else None
    loo = None
    if np.all(h < 1 - 1e-9):
        loo = float(np.sqrt(np.mean((resid / (1 - h)) ** 2)))
    return Fit(Surface(terms, beta, x.shape[1]), r2, r2_adj, loo, float(np.sqrt(sse / n)), dropped)


# -- sensitivities --------------------------------------------------------------------------------
def sobol_indices(surface: Surface) -> tuple[np.ndarray, np.ndarray, float]:
    """First-order and total Sobol indices of the surface, x independent uniform on [-1, 1];
    and its variance.

    With E[x] = 0, E[x^2] = 1/3, E[x^3] = 0, E[x^4] = 1/5, the ANOVA pieces of a quadratic
    are f_i = b_i x_i + c_i (x_i^2 - 1/3) and f_ij = d_ij x_i x_j, mutually orthogonal:
    V_i = b_i^2/3 + c_i^2 Var[x^2] with Var[x^2] = 1/5 - 1/9 = 4/45 (x_i and x_i^2 are
    uncorrelated since E[x^3] = 0), V_ij = d_ij^2/9. S_i = V_i / V, ST_i = (V_i + sum_j
    V_ij) / V, V = sum V_i + sum V_ij."""
    p = surface.p
    vi = np.array([surface.coefficient((i,)) ** 2 / 3 + surface.coefficient((i, i)) ** 2 * 4 / 45
                   for i in range(p)])
    vt = vi.copy()
    for i, j in itertools.combinations(range(p), 2):
        vij = surface.coefficient((i, j)) ** 2 / 9
        vt[i] += vij
        vt[j] += vij
    total = float(vi.sum() + sum(surface.coefficient(t) ** 2 / 9 for t in itertools.combinations(range(p), 2)))
    if total <= 0:
        return np.zeros(p), np.zeros(p), 0.0
    return vi / total, vt / total, total


# -- the optimum ----------------------------------------------------------------------------------
@dataclass
class Optimum:
    feasible: bool
    x: np.ndarray  # scaled design
    objective: float  # the objective response's predicted value
    violation: float  # the largest constraint violation, relative to its scale (0 when feasible)


def violations(x, constraints, surfaces, scales) -> np.ndarray:
    """Each constraint's violation over its scale (<= 0 where it holds)."""
    out = []
    for c, s in zip(constraints, scales):
        y = surfaces[c.response](x)
        out.append(((y - c.limit) if c.op == "<=" else (c.limit - y)) / s)
    return np.array(out).reshape(len(constraints), -1)


def find_optimum(surfaces: dict[str, Surface], objective: tuple[str, float], constraints: list[Constraint],
                 p: int, scales: list[float] | None = None, seed: int = 0) -> Optimum:
    """The best design on the surfaces inside the box [-1, 1]^p: a dense quasi-random
    candidate set with the corners and the centre (a quadratic's optimum is often on the
    box), then SLSQP from the best few candidates (feasible first, then least violating).
    ``scales``: each constraint's typical size, so that feasibility is judged relatively."""
    from scipy.optimize import minimize
    from scipy.stats import qmc

    name, sign = objective
    f = surfaces[name]
    scales = scales or [max(abs(c.limit), 1e-300) for c in constraints]
    cand = [qmc.Sobol(p, scramble=True, seed=seed).random(2048) * 2 - 1, np.zeros((1, p))]
    if p <= 10:
        cand.append(np.array(list(itertools.product((-1.0, 1.0), repeat=p))))
    cand = np.vstack(cand)
    obj = sign * f(cand)
    viol = np.max(np.maximum(violations(cand, constraints, surfaces, scales), 0), axis=0) if constraints \
        else np.zeros(len(cand))
    order = np.lexsort((obj, viol))  # feasible (zero violation) first, then by objective
    starts = [cand[i] for i in order[:8]]
    cons = [{"type": "ineq",
             "fun": (lambda x, c=c, s=s: -violations(x, [c], surfaces, [s])[0, 0]),
             "jac": (lambda x, c=c, s=s: (-1 if c.op == "<=" else 1) * surfaces[c.response].gradient(x) / s)}
            for c, s in zip(constraints, scales)]
    best = None
    tol = 1e-7
    for x0 in starts:
        res = minimize(lambda x: sign * f(x)[0], x0, jac=lambda x: sign * f.gradient(x), method="SLSQP",
                       bounds=[(-1, 1)] * p, constraints=cons, options={"ftol": 1e-12, "maxiter": 300})
        for x in (np.clip(res.x, -1, 1), x0):
            v = float(np.max(violations(x, constraints, surfaces, scales), initial=0.0)) if constraints else 0.0
            key = (max(v, 0) > tol, max(v, 0) if v > tol else 0.0, sign * f(x)[0])
            if best is None or key < best[0]:
                best = (key, x, max(v, 0.0))
    _, x, v = best
    return Optimum(v <= tol, x, float(f(x)[0]), v)
