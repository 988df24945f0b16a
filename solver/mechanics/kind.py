"""The ``thermoelastic`` case kind: stress and warpage under a temperature load path."""

from __future__ import annotations

from solver.core.kind import CaseKind
from solver.core.result_names import ResultNames
from solver.mechanics.schema import ThermoelasticCase, check_thermoelastic

# {step}: a load path's step name and "_" (none for a single temperature); {region}: the
# geometry's regions; {pair}: two regions that meet (their interface); {bump}: a bump region
RESULTS = (
    "{step}temperature_degC", "{step}max_displacement_um", "{step}max_von_mises_MPa", "{step}warpage_um",
    "{step}curvature_1_per_m", "{step}curvature_max_1_per_m", "{step}curvature_min_1_per_m",
    "{step}max_von_mises_{region}_MPa", "{step}mean_von_mises_{region}_MPa",
    "{step}max_principal_{region}_MPa", "{step}min_principal_{region}_MPa",
    "{step}interface_{pair}_mean_normal_MPa", "{step}interface_{pair}_max_normal_MPa",
    "{step}interface_{pair}_min_normal_MPa", "{step}interface_{pair}_mean_shear_MPa",
    "{step}interface_{pair}_max_shear_MPa",
    "{step}corner_{region}_mean_von_mises_MPa", "{step}centre_{region}_mean_von_mises_MPa",
    "{step}linear_warpage_um", "{step}large_deflection_increments",
    # what a validation benchmark adds (validation.benchmark)
    "film_stress_MPa", "stoney_ratio", "shell_mean_hoop_stress_MPa", "interface_pressure_MPa",
    "max_displacement_deviation_um",
)


def describe(case: ThermoelasticCase, source: str = "") -> str:
    geo = case.geometry
    extra = f"; {geo.expected_cells()} cells" if hasattr(geo, "expected_cells") else ""
    regions = ", ".join(f"{r}={m}" for r, m in case.regions.items())
    return (f"ok: {case.name} ({case.kind}, {geo.type} {geo.dimension}D, {case.model.formulation}, "
            f"P{case.model.degree}){extra}; regions: {regions}")


def result_names(case: ThermoelasticCase) -> ResultNames:
    regions = tuple(case.geometry.region_names())
    steps = ("",) + tuple(f"{s.name}_" for s in case.load.steps or ())
    pairs = tuple(f"{a}_{b}" for a in regions for b in regions if a != b)
    return ResultNames(RESULTS, {"step": steps, "region": regions, "pair": pairs})


THERMOELASTIC = CaseKind(
    name="thermoelastic",
    model=ThermoelasticCase,
    run="solver.mechanics.run:run_thermoelastic",
    describe="solver.mechanics.kind:describe",
    title="stress and warpage",
    key_results=("warpage_um", "max_von_mises_MPa"),
    cross_check=check_thermoelastic,
    result_names="solver.mechanics.kind:result_names",
)
