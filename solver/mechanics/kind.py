"""The ``thermoelastic`` case kind: stress and warpage under a temperature load path."""

from __future__ import annotations

from solver.core.kind import CaseKind
from solver.mechanics.schema import ThermoelasticCase, check_thermoelastic


def describe(case: ThermoelasticCase, source: str = "") -> str:
    geo = case.geometry
    extra = f"; {geo.expected_cells()} cells" if hasattr(geo, "expected_cells") else ""
    regions = ", ".join(f"{r}={m}" for r, m in case.regions.items())
    return (f"ok: {case.name} ({case.kind}, {geo.type} {geo.dimension}D, {case.model.formulation}, "
            f"P{case.model.degree}){extra}; regions: {regions}")


THERMOELASTIC = CaseKind(
    name="thermoelastic",
    model=ThermoelasticCase,
    run="solver.mechanics.run:run_thermoelastic",
    describe="solver.mechanics.kind:describe",
    title="stress and warpage",
    key_results=("warpage_um", "max_von_mises_MPa"),
    cross_check=check_thermoelastic,
)
