"""Quantities in case files: units required, dimensions checked, SI out."""

from __future__ import annotations

import pytest

from meshes.units import DIMENSIONS, UnitError, to_si


@pytest.mark.parametrize(
    "text, dim, si",
    [
        ("50 um", "length", 5e-5),
        ("0.5 mm", "length", 5e-4),
        ("3 GPa", "stress", 3e9),
        ("17 ppm/K", "thermal expansion coefficient", 1.7e-5),
        ("17 ppm/degC", "thermal expansion coefficient", 1.7e-5),
        ("150 degC", "temperature", 423.15),
        ("-55 degC", "temperature", 218.15),
        ("2 A/dm^2", "current density", 200.0),
        ("1.7 uohm*cm", "electrical resistivity", 1.7e-8),
        ("0.1 ohm/sq", "sheet resistance", 0.1),
        ("8.96 g/cm^3", "density", 8960.0),
        ("30 min", "time", 1800.0),
        ("1e-9 m^2/s", "diffusivity", 1e-9),
    ],
)
def test_converts_to_si(text, dim, si):
    assert to_si(text, DIMENSIONS[dim]) == pytest.approx(si, rel=1e-14)


def test_conversion_noise_is_rounded_away():
    assert to_si("50 um", DIMENSIONS["length"]) == 5e-05  # not 4.9999999999999996e-05


@pytest.mark.parametrize(
    "value, message",
    [
        (50, "a bare number is not accepted for a length"),
        (50.0, "a bare number is not accepted for a length"),
        ("50", "has no unit"),
        ("50 furlongz", "unknown unit"),
        ("3 GPa", "is a stress, expected a length"),
        ("fifty um", "is not a number followed by a unit"),
        (True, "expected length"),
        (["50 um"], "as a string with a unit"),
    ],
)
def test_refuses(value, message):
    with pytest.raises(UnitError, match=message):
        to_si(value, DIMENSIONS["length"])
