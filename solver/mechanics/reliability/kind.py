"""The ``reliability`` case kind: thermal cycles with inelastic materials, fatigue life."""

from __future__ import annotations

from solver.core.kind import CaseKind
from solver.core.result_names import ResultNames
from solver.mechanics.reliability.schema import ReliabilityCase, check_reliability


def describe(case: ReliabilityCase, source: str = "") -> str:
    geo = case.geometry
    inelastic = ", ".join(f"{r}={s.model}" for r, s in case.inelastic.items()) or "none"
    load = case.load
    history = (f"{load.cycle.cycles} cycle(s) {load.cycle.low - 273.15:.0f}/{load.cycle.high - 273.15:.0f} degC"
               if load.cycle is not None else f"profile of {len(load.profile.points)} points x {load.profile.repeat}")
    return (f"ok: {case.name} ({case.kind}, {geo.type} {geo.dimension}D, {case.model.formulation}, "
            f"P{case.model.degree}); inelastic: {inelastic}; {history}; {len(case.averaging)} averaging volume(s)")


# {volume}: an averaging volume (per_joint ones numbered <name>_1, _2, ...) or region_<name>
# of an inelastic region; {law}: the life laws
RESULTS = (
    "warpage_max_um", "warpage_min_um", "warpage_end_um", "warpage_range_last_cycle_um", "cycles_completed", "steps",
    "{volume}_energy_density_per_cycle_kJ_per_m3", "{volume}_inelastic_strain_range",
    "{volume}_energy_density_kJ_per_m3", "{volume}_accumulated_inelastic_strain",
    "worst_life_{law}_cycles", "worst_joint_index",
)


def result_names(case: ReliabilityCase) -> ResultNames:
    values = {"law": ("coffin_manson", "engelmaier", "darveaux")}
    if not any(a.per_joint for a in case.averaging):  # a joint's number is known only once meshed
        values["volume"] = tuple(a.name for a in case.averaging) + tuple(f"region_{r}" for r in case.inelastic)
    return ResultNames(RESULTS, values)

RELIABILITY = CaseKind(
    name="reliability",
    model=ReliabilityCase,
    run="solver.mechanics.reliability.run:run_reliability",
    describe="solver.mechanics.reliability.kind:describe",
    title="thermal cycling, inelastic strain and fatigue life",
    key_results=("warpage_max_um", "worst_life_darveaux_cycles"),
    cross_check=check_reliability,
    restart=True,
    restart_check="solver.mechanics.reliability.checkpoint:check",
    result_names="solver.mechanics.reliability.kind:result_names",
)
