"""The ``geometry`` case kind: a structure and its mesh only."""

from __future__ import annotations

from solver.core.kind import CaseKind
from solver.geometry.schema import GeometryCase


def describe(case: GeometryCase, source: str = "") -> str:
    geo = case.geometry
    extra = f"; {geo.expected_cells()} cells" if hasattr(geo, "expected_cells") else ""
    return (f"ok: {case.name} (geometry, {geo.type} {geo.dimension}D){extra}; regions: "
            f"{', '.join(geo.region_names())}; boundaries: {', '.join(geo.boundary_names())}")


GEOMETRY = CaseKind(
    name="geometry",
    model=GeometryCase,
    run="solver.geometry.meshing:run_geometry",
    describe="solver.geometry.kind:describe",
    title="a structure and its mesh only",
    key_results=("cells", "quality_min", "tip_projection_um", "wiring_thickness_um", "concavity_depth_um",
                 "undercut_um", "barrier_thickness_um", "bump_depth_below_film_um", "bump_radius_at_film_um"),
)
