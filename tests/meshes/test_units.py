"""Quantities in case files: units required, dimensions checked, SI out."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshes.units import DIMENSIONS, UnitError, to_si, ureg


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
        # plating units: amperes per square decimetre and per square foot (1 ft = 0.3048 m exactly)
        ("2 ASD", "current density", 200.0),
        ("10 ASF", "current density", 10 / 0.3048**2),
        # areas and volumes as plating shops write them: a length's name followed by its power
        ("1 mA/cm2", "current density", 10.0),
        ("2 A/dm2", "current density", 200.0),
        ("20 mA cm-2", "current density", 200.0),
        ("3 A/ft2", "current density", 3 / 0.3048**2),
        ("1 mA/µm2", "current density", 1e9),
        ("8.96 g/cm3", "density", 8960.0),
        ("2 mm2", "area", 2e-6),
        ("1e-9 m2/s", "diffusivity", 1e-9),
    ],
)
def test_converts_to_si(text, dim, si):
    """Closed-form conversion factors; 1e-14 relative: the 15 significant digits kept."""
    assert to_si(text, DIMENSIONS[dim]) == pytest.approx(si, rel=1e-14)


def test_plating_units_are_the_caret_forms():
    """"2 ASD" is "2 A/dm^2" and "1 mA/cm2" is "1 mA/cm^2" to the last bit, and the registry's
    own parser (sweep ranges, the results table) reads them as to_si does."""
    cd = DIMENSIONS["current density"]
    assert to_si("2 ASD", cd) == to_si("2 A/dm^2", cd) == to_si("2 A/dm2", cd)
    assert to_si("1 mA/cm2", cd) == to_si("1 mA/cm^2", cd) == to_si("1 mA cm-2", cd)
    assert ureg.Quantity("1 mA/cm2").to("A/m^2").magnitude == pytest.approx(10.0, rel=1e-14)
    assert ureg.Quantity(2, "ASD").to("A/m^2").magnitude == pytest.approx(200.0, rel=1e-14)


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
        # the power rule reads a length's name only, and one digit 2 or 3
        ("50 mol2", "unknown unit"),
        ("50 K3", "unknown unit"),
        ("50 cm22", "unknown unit"),
        ("50 cm4", "unknown unit"),
        ("50 cm2", "is an area, expected a length"),
        ("50 cm2^3", "stacked exponents"),
        ("50 cm2**9**9", "stacked exponents"),
        ("50 inH2O", "is a stress, expected a length"),  # inch of water: no word boundary after its 2
    ],
)
def test_refuses(value, message):
    with pytest.raises(UnitError, match=message):
        to_si(value, DIMENSIONS["length"])


CASES = Path(__file__).resolve().parents[2] / "cases"


def test_a_plating_case_takes_plating_units(tmp_path):
    """The galvanostatic growing cylinder at "2 ASD" and the parallel plates with exchange
    current densities in mA/cm2 and ASD validate to the same case as in A/m^2, field for
    field (the conversion is exact in binary: 200, 10 and 100 A/m^2)."""
    import solver

    def load(text: str, name: str):
        case = tmp_path / f"{name}.toml"
        case.write_text(text)
        return solver.load_case(case)

    cylinder = (CASES / "plating" / "growing_cylinder.toml").read_text()
    asd = load(cylinder.replace('cell_voltage = "1 V"', 'current_density = "2 ASD"'), "asd")
    si = load(cylinder.replace('cell_voltage = "1 V"', 'current_density = "200 A/m^2"'), "si")
    assert asd.operation.current_density == 200.0 and asd.model_dump() == si.model_dump()
    plates = (CASES / "plating" / "parallel_plates_bv.toml").read_text()
    assert '"10 A/m^2"' in plates and '"100 A/m^2"' in plates
    shop = load(plates.replace('"10 A/m^2"', '"1 mA/cm2"').replace('"100 A/m^2"', '"1 ASD"'), "shop")
    assert shop.model_dump() == solver.load_case(CASES / "plating" / "parallel_plates_bv.toml").model_dump()


@pytest.mark.slow
def test_a_plating_case_in_plating_units_runs_to_the_same_results(tmp_path, run_cli, cases):
    """End to end: the parallel plates with exchange current densities given as "1 mA/cm2"
    and "1 ASD" give the shipped case's results bit for bit (the same SI inputs)."""
    shipped = run_cli(cases / "plating" / "parallel_plates_bv.toml", tmp_path / "si")["results"]
    shop = run_cli(cases / "plating" / "parallel_plates_bv.toml", tmp_path / "shop",
                   "--set", "cathode.exchange_current_density=1 mA/cm2",
                   "--set", "anode.exchange_current_density=1 ASD")["results"]
    assert shop == shipped
