"""Case files validate into typed models; errors name the field and the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from solver import CaseError, load_case, validate_case
from solver.core.case import apply_override
from solver.mechanics.schema import resolve_materials

CASES = Path(__file__).resolve().parents[2] / "cases"
ALL_FILES = sorted(p for p in CASES.rglob("*.toml"))
SWEEPS = [p for p in ALL_FILES if p.parent.name == "sweeps"]
ALL_CASES = [p for p in ALL_FILES if p not in SWEEPS]


@pytest.mark.parametrize("path", ALL_CASES, ids=[p.stem for p in ALL_CASES])
def test_every_shipped_case_validates(path):
    case = load_case(path)
    assert case.name


@pytest.mark.parametrize("path", SWEEPS, ids=[p.stem for p in SWEEPS])
def test_every_shipped_sweep_expands_into_valid_cases(path):
    from solver.workflow.sweep import check_cases, expand, load_sweep

    spec, base_case = load_sweep(path)
    cases = expand(spec)
    check_cases(base_case, spec, cases)
    assert cases


def base():
    import tomllib

    return tomllib.loads((CASES / "validation" / "bimetal_strip.toml").read_text())


def test_values_are_si_after_load():
    case = validate_case(base())
    assert case.geometry.length == pytest.approx(0.02)
    assert case.geometry.layers[0].thickness == pytest.approx(5e-4)
    assert case.load.temperature == pytest.approx(298.15)


def test_override_syntax():
    raw = base()
    apply_override(raw, "geometry.layers[1].thickness=0.25 mm")
    apply_override(raw, "model.degree=1")
    apply_override(raw, "output.fields=false")
    case = validate_case(raw)
    assert case.geometry.layers[1].thickness == pytest.approx(2.5e-4)
    assert case.model.degree == 1 and case.output.fields is False


@pytest.mark.parametrize(
    "edit, field, rule",
    [
        (lambda r: r["geometry"].update(length=20), "geometry.length", "bare number"),
        (lambda r: r["geometry"]["layers"][0].update(thickness="-1 mm"), "geometry.layers[0].thickness",
         "greater than 0"),
        (lambda r: r["geometry"]["layers"][1].update(colour="red"), "geometry.layers[1].colour", "unknown key"),
        (lambda r: r["geometry"].update(type="blob"), "geometry", "type"),
        (lambda r: r["model"].update(degree=3), "model.degree", "1 or 2"),
        (lambda r: r["regions"].update(middle="Si"), "regions.middle", "no region 'middle'"),
        (lambda r: r["regions"].pop("copper"), "regions", "'copper' of the geometry has no material"),
        (lambda r: r.update(materials={"goo": {"E": "1 GPa"}}, regions={"silicon": "Si", "copper": "goo"}),
         "materials.goo", "needs nu, cte"),
        (lambda r: r.update(materials={"Si": {"nu": 0.7}}), "materials.Si.nu", "less than 0.5"),
        (lambda r: r.pop("load"), "load", "required"),
        (lambda r: r.update(kind="potato"), "kind", "unknown case kind"),
        (lambda r: r["validation"].update(benchmark="lame_cylinder"), "validation.benchmark", "core_shell"),
    ],
)
def test_errors_name_field_and_rule(edit, field, rule):
    raw = base()
    edit(raw)
    with pytest.raises(CaseError) as err:
        validate_case(raw, source="case.toml")
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"case.toml: {field}"), msg
    assert rule in msg, msg


def test_material_override_and_new_material():
    raw = base()
    raw["materials"] = {
        "Cu": {"E": "100 GPa", "stress_free_temperature": "150 degC"},
        "glue": {"E": "2 GPa", "nu": 0.3, "cte": "50 ppm/K"},
    }
    raw["regions"] = {"silicon": "glue", "copper": "Cu"}
    case = validate_case(raw)
    mats, t_sf = resolve_materials(case)
    assert mats["copper"].E == pytest.approx(100e9) and mats["copper"].nu == pytest.approx(0.34)  # rest from library
    assert t_sf["copper"] == pytest.approx(423.15) and t_sf["silicon"] == pytest.approx(398.15)
    assert mats["silicon"].cte == pytest.approx(5e-5) and mats["silicon"].source == "case file"


def test_region_named_like_a_boundary_is_refused():
    """Regions and boundaries share one namespace in the mesh: a layer called 'bottom' would
    hide the bottom boundary (and with it the warpage)."""
    raw = base()
    raw["geometry"]["layers"][0]["region"] = "bottom"
    raw["regions"] = {"bottom": "Si", "copper": "Cu"}
    with pytest.raises(CaseError, match=r"geometry.layers\[0\].region: 'bottom' is also the name of a boundary"):
        validate_case(raw)
