"""The ``etch`` case kind: isotropic etch of the base through the film's holes."""

from __future__ import annotations

from solver.core.kind import CaseKind
from solver.core.result_names import ResultNames
from solver.etch.schema import EtchCase


def describe(case: EtchCase, source: str = "") -> str:
    geo, e = case.geometry, case.etch
    how = f"rate {e.rate * 6e7:.4g} um/min" if e.model == "reaction_limited" else (
        f"Da {e.etchant.rate_constant * e.etchant.stagnant_layer / e.etchant.diffusivity:.3g}")
    return (f"ok: {case.name} (etch, {e.model}, {geo.type} {geo.dimension}D, {how}, "
            f"{len(e.times)} times to {e.times[-1] / 60:.4g} min)")


RESULTS = (
    "depth_um", "undercut_um", "etch_factor", "etch_distance_um", "etch_time_min", "radius_at_film_um",
    "etched_volume_um3", "etched_volume_per_hole_um3", "deepest_um", "max_shape_error_um", "mass_balance_rel",
    "reaction_limited_depth_um", "depth_over_reaction_limited",
)


def result_names(case: EtchCase) -> ResultNames:
    return ResultNames(RESULTS)

ETCH = CaseKind(
    name="etch",
    model=EtchCase,
    run="solver.etch.run:run_etch",
    describe="solver.etch.kind:describe",
    title="isotropic etch",
    key_results=("depth_um", "undercut_um", "etch_factor", "etched_volume_per_hole_um3", "max_shape_error_um",
                 "mass_balance_rel"),
    hands_over=("concavity.toml",),
    result_names="solver.etch.kind:result_names",
)
