"""Quantities with units in case files, converted to SI once, at load.

Every dimensional value in a case file is a string such as ``"50 um"``, ``"3 GPa"``,
``"17 ppm/K"``, ``"150 degC"`` or ``"2 A/dm^2"``. The annotated types below accept
exactly that, check the dimension with pint and hand the model a plain ``float`` in SI
units. A bare number for a dimensional field is refused: guessing the unit is how a
50 um resin layer silently becomes 50 m.

This module lives in ``meshes`` because it is the lowest layer (no dolfinx, no MPI):
geometry specs and the solver's case schema both use it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

import pint
from pydantic import BeforeValidator, WithJsonSchema

# Offset units (degC, degF) convert to kelvin when they appear alone, and
# "ppm/degC" is read as a per-kelvin coefficient.
ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
# Sheet resistance is quoted in ohm per square; the square is dimensionless.
ureg.define("sq = 1 = square_sheet")
# Plating shops quote current densities in amperes per square decimetre and per square foot.
ureg.define("ASD = ampere / decimeter ** 2 = amperes_per_square_decimeter")
ureg.define("ASF = ampere / foot ** 2 = amperes_per_square_foot")

# ... and write areas and volumes without a caret: "mA/cm2", "A/dm2", "mA cm-2", "g/cm3".
# A run of letters directly followed by 2 or 3 (or -2, -3) is read as that power when, and
# only when, the letters name a length and the word with its digit is not a unit of its own:
# no unit pint already knows changes meaning ("inH2O" has no word boundary after its 2; pint
# names no length ending in 2 or 3), and "mol2" or "K3" still fail as unknown units.
_LENGTH_POWER = re.compile(r"\b([^\W\d_]+)(-?[23])\b")


@lru_cache(maxsize=256)
def _is_length(name: str) -> bool:
    found = ureg.parse_unit_name(name)
    return bool(found) and ureg.get_dimensionality(found[0][1]) == ureg.get_dimensionality("meter")


def _powers_with_caret(unit: str) -> str:
    """``"mA/cm2"`` -> ``"mA/cm**2"`` (see the rule above); anything else unchanged."""

    def power(m: re.Match) -> str:
        name, digits = m.groups()
        if ureg.parse_unit_name(name + digits.lstrip("-")) or not _is_length(name):
            return m[0]
        return f"{name}**{digits}"

    return _LENGTH_POWER.sub(power, unit)


# A pint preprocessor, so every parse through this registry (case values, sweep ranges and
# their results table) reads the same spellings.
ureg.preprocessors.insert(0, _powers_with_caret)

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
QUANTITY_PATTERN = rf"^\s*{_NUMBER}\s*\S.*$"
_SPLIT = re.compile(rf"^\s*(?P<number>{_NUMBER})\s*(?P<unit>.*?)\s*$")


class UnitError(ValueError):
    """A quantity string that cannot be read as the expected kind of quantity."""


@dataclass(frozen=True)
class Dimension:
    """A physical dimension as case files spell it: a name for messages, the SI unit
    the model stores, and an example for error messages and the JSON schema."""

    name: str
    si_unit: str
    example: str

    @property
    def dimensionality(self):
        return _dimensionality(self.si_unit)


@lru_cache(maxsize=None)
def _dimensionality(unit: str):
    return ureg.Quantity(1.0, unit).dimensionality


@lru_cache(maxsize=None)
def _describe(dimensionality) -> str:
    for dim in DIMENSIONS.values():
        if dim.dimensionality == dimensionality:
            return _a(dim.name)
    return f"of dimension {dimensionality}"


def _a(name: str) -> str:
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


MAX_UNIT_LENGTH = 40
_EXPONENT = re.compile(r"(\*\*|\^)\s*\(?\s*([-+]?[\d.]*)")


def _check_expression(value: str, unit: str) -> None:
    """Bounds on what pint is asked to evaluate: a unit is short, its exponents small
    numbers and never stacked (``K*9**9**9`` would never finish)."""
    if len(unit) > MAX_UNIT_LENGTH:
        raise UnitError(f"the unit of {value[:60]!r}... is longer than {MAX_UNIT_LENGTH} characters")
    unit = _powers_with_caret(unit)  # "cm2^3" is as stacked as "cm^2^3"
    for m in _EXPONENT.finditer(unit):
        try:
            power = float(m[2])
        except ValueError:
            raise UnitError(f"{value!r}: an exponent must be a number (m^2, mol/m**3)") from None
        if abs(power) > 6:
            raise UnitError(f"{value!r}: exponent {m[2]} is beyond the +-6 of physical units")
        rest = unit[m.end():]
        if re.match(r"\s*\)?\s*(\*\*|\^)", rest):
            raise UnitError(f"{value!r}: stacked exponents are not a unit")


def to_si(value: Any, dim: Dimension) -> float:
    """Convert ``"50 um"`` to ``5e-05`` (for a length). Raise :class:`UnitError` with a
    message that says what was expected and what was given."""
    if isinstance(value, bool):
        raise UnitError(f"expected {dim.name} with a unit, e.g. {dim.example!r}; got {value!r}")
    if isinstance(value, (int, float)):
        raise UnitError(
            f"a bare number is not accepted for {_a(dim.name)}: write the unit, e.g. {dim.example!r}"
        )
    if not isinstance(value, str):
        raise UnitError(f"expected {_a(dim.name)} as a string with a unit, e.g. {dim.example!r}")
    match = _SPLIT.match(value)
    if match is None:
        raise UnitError(f"{value!r} is not a number followed by a unit, e.g. {dim.example!r}")
    number, unit = float(match["number"]), match["unit"]
    if not unit:
        raise UnitError(
            f"{value!r} has no unit: a {dim.name} needs one, e.g. {dim.example!r}"
        )
    _check_expression(value, unit)
    try:
        quantity = ureg.Quantity(number, unit)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError,
            TypeError, ValueError, AssertionError, KeyError) as exc:
        raise UnitError(f"unknown unit {unit!r} in {value!r}") from exc
    except Exception as exc:  # pint raises a variety of parser errors on garbage
        raise UnitError(f"cannot read unit {unit!r} in {value!r}") from exc
    if quantity.dimensionality != dim.dimensionality:
        raise UnitError(
            f"{value!r} is {_describe(quantity.dimensionality)}, expected {_a(dim.name)} (e.g. {dim.example!r})"
        )
    # 15 significant digits drop the binary noise of the conversion factor
    # ("50 um" -> 5e-05, not 4.9999999999999996e-05) at a cost below 1e-15.
    si = float(f"{float(quantity.to(dim.si_unit).magnitude):.15g}")
    if not math.isfinite(si):
        raise UnitError(f"{value!r} is not a finite {dim.name}")
    return si


def format_si(value: float, dim: Dimension) -> str:
    """The inverse for messages and resolved cases: ``5e-05`` -> ``"5e-05 m"``."""
    return f"{value:.12g} {dim.si_unit}"


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("length", "m", "50 um"),
        Dimension("area", "m^2", "1 mm^2"),
        Dimension("volume", "m^3", "1 mm^3"),
        Dimension("angle", "rad", "10 deg"),
        Dimension("stress", "Pa", "3 GPa"),
        Dimension("temperature", "K", "150 degC"),
        Dimension("temperature difference", "delta_degC", "100 K"),
        Dimension("thermal expansion coefficient", "1/K", "17 ppm/K"),
        Dimension("density", "kg/m^3", "8.96 g/cm^3"),
        Dimension("molar mass", "kg/mol", "63.55 g/mol"),
        Dimension("electrical resistivity", "ohm*m", "1.7 uohm*cm"),
        Dimension("electrical conductivity", "S/m", "50 S/m"),
        Dimension("sheet resistance", "ohm", "0.17 ohm/sq"),
        Dimension("current density", "A/m^2", "2 A/dm^2"),
        Dimension("current", "A", "10 A"),
        Dimension("voltage", "V", "0.5 V"),
        Dimension("time", "s", "30 min"),
        Dimension("velocity", "m/s", "1 um/min"),
        Dimension("concentration", "mol/m^3", "0.5 mol/L"),
        Dimension("diffusivity", "m^2/s", "1e-9 m^2/s"),
        Dimension("area resistance", "ohm*m^2", "1e-4 ohm*m^2"),
        Dimension("rate", "1/s", "2.23e4 1/s"),
        Dimension("inverse stress", "1/Pa", "0.0245 1/MPa"),
        Dimension("molar energy", "J/mol", "54.2 kJ/mol"),
        Dimension("energy density", "J/m^3", "0.1 MJ/m^3"),
    )
}


def quantity(name: str):
    """The annotated type of a case-file field holding a quantity of dimension ``name``.

    The field's value in the validated model is a float in SI units; its JSON schema is a
    string with an example. ``Field(gt=0)`` and friends apply to the SI value."""
    dim = DIMENSIONS[name]

    def _validate(value: Any) -> float:
        return to_si(value, dim)

    return Annotated[
        float,
        BeforeValidator(_validate),
        WithJsonSchema(
            {
                "type": "string",
                "pattern": QUANTITY_PATTERN,
                "description": f"{dim.name} with its unit, e.g. {dim.example!r} (stored in {dim.si_unit})",
                "examples": [dim.example],
            }
        ),
        dim,
    ]


Length = quantity("length")
Area = quantity("area")
Angle = quantity("angle")
Stress = quantity("stress")
Temperature = quantity("temperature")
TemperatureDifference = quantity("temperature difference")
ThermalExpansion = quantity("thermal expansion coefficient")
Density = quantity("density")
MolarMass = quantity("molar mass")
Resistivity = quantity("electrical resistivity")
Conductivity = quantity("electrical conductivity")
SheetResistance = quantity("sheet resistance")
CurrentDensity = quantity("current density")
Current = quantity("current")
Voltage = quantity("voltage")
Time = quantity("time")
Velocity = quantity("velocity")
Concentration = quantity("concentration")
Diffusivity = quantity("diffusivity")
AreaResistance = quantity("area resistance")
Rate = quantity("rate")
InverseStress = quantity("inverse stress")
MolarEnergy = quantity("molar energy")
EnergyDensity = quantity("energy density")
