"""The ``reliability`` case kind: thermal cycles with inelastic materials, fatigue life."""

from __future__ import annotations

from solver.core.kind import CaseKind
from solver.mechanics.reliability.schema import ReliabilityCase, check_reliability


def describe(case: ReliabilityCase, source: str = "") -> str:
    geo = case.geometry
    inelastic = ", ".join(f"{r}={s.model}" for r, s in case.inelastic.items()) or "none"
    load = case.load
    history = (f"{load.cycle.cycles} cycle(s) {load.cycle.low - 273.15:.0f}/{load.cycle.high - 273.15:.0f} degC"
               if load.cycle is not None else f"profile of {len(load.profile.points)} points x {load.profile.repeat}")
    return (f"ok: {case.name} ({case.kind}, {geo.type} {geo.dimension}D, {case.model.formulation}, "
            f"P{case.model.degree}); inelastic: {inelastic}; {history}; {len(case.averaging)} averaging volume(s)")


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
)
