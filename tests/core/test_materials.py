"""The materials library: every required property present, plausible, and sourced."""

from __future__ import annotations

import inspect
import re

import pytest

from solver.core import materials
from solver.core.materials import LIBRARY

REQUIRED = {"Si", "Cu", "Cu_plated", "Au", "Ni", "Co", "SnAg", "epoxy_resin_sheet", "solder_resist", "polyimide"}


def test_library_has_the_packaging_materials():
    assert REQUIRED <= set(LIBRARY)


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_properties_are_complete_and_plausible(name):
    m = LIBRARY[name]()
    assert 1e9 <= m.E <= 500e9
    assert 0.0 < m.nu < 0.5
    assert 1e-6 <= m.cte <= 1e-4
    lo, hi = m.cte_valid
    assert 150 < lo < 300 < hi < 800
    assert 900 <= m.density <= 20000
    assert m.resistivity > 0
    if m.valence is not None:  # platable metals carry Faraday data
        assert m.molar_mass > 0.01 and 1 <= m.valence <= 3
    doc = inspect.getdoc(LIBRARY[name])
    # A source is a dated reference or a handbook/datasheet/standard named in the docstring.
    assert doc and re.search(r"\b(19|20)\d\d\b|Handbook|datasheet|IPC-", doc), f"{name}: no source in docstring"


def test_faraday_growth_rate_of_copper():
    """VALIDATION.md plating 6: 1 A/dm^2, eps = 1 gives 13.23 um/h of Cu (a consistency check
    of M, n and rho in the library)."""
    m = materials.copper()
    v = 100.0 * m.molar_mass / (m.valence * 96485.33212 * m.density) * 3600 * 1e6
    assert v == pytest.approx(13.23, abs=0.01)
