"""The etch's closed forms: the Stefan similarity constant and the stagnant-layer law."""

from __future__ import annotations

import pytest


def test_stefan_root_and_limits():
    """The Stefan similarity constant solves its equation to round-off and approaches its
    small-beta limit beta / sqrt(pi) (a depletion layer growing as sqrt(D t) in the quiet
    liquid); the stagnant-layer law solves h^2 / 2 + delta h = K t."""
    from math import erf, exp, pi, sqrt

    from solver.etch.analytic import stagnant_layer_depth, stefan_lambda

    for beta in (1e-4, 1e-3, 7.1e-3, 5e-2, 1.0):
        lam = stefan_lambda(beta)
        assert sqrt(pi) * lam * exp(lam * lam) * (1 + erf(lam)) == pytest.approx(beta, rel=1e-12)
    assert stefan_lambda(1e-6) == pytest.approx(1e-6 / sqrt(pi), rel=1e-5)
    h = stagnant_layer_depth(7.0, 2.0, 3.0)
    assert h * h / 2 + 3.0 * h == pytest.approx(14.0, rel=1e-12)
    assert stagnant_layer_depth(7.0, 2.0, 0.0) == pytest.approx(sqrt(28.0), rel=1e-12)
