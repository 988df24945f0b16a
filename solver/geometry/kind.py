"""The ``geometry`` case kind: a structure and its mesh only."""

from __future__ import annotations

from solver.core.kind import CaseKind
from solver.core.result_names import ResultNames
from solver.geometry.schema import GeometryCase


def describe(case: GeometryCase, source: str = "") -> str:
    geo = case.geometry
    extra = f"; {geo.expected_cells()} cells" if hasattr(geo, "expected_cells") else ""
    return (f"ok: {case.name} (geometry, {geo.type} {geo.dimension}D){extra}; regions: "
            f"{', '.join(geo.region_names())}; boundaries: {', '.join(geo.boundary_names())}")


# {region}: the geometry's regions; {level}: a CSP's second and higher arrangements (_2, _3, ...)
RESULTS = (
    "cells", "nodes", "quality_min", "quality_mean", "mesh_s", "cells_{region}", "area_{region}_mm2",
    "volume_{region}_mm3", "resin_thickness_um{level}", "tip_projection_um{level}", "wiring_thickness_um{level}",
    "concavity_depth_um", "concavity_radius_at_film_um", "undercut_um", "bump_depth_below_film_um",
    "bump_radius_at_film_um", "barrier_thickness_um",
)


def result_names(case: GeometryCase) -> ResultNames:
    levels = ("",) + tuple(f"_{k}" for k in range(2, 7))
    return ResultNames(RESULTS, {"region": tuple(case.geometry.region_names()), "level": levels})

GEOMETRY = CaseKind(
    name="geometry",
    model=GeometryCase,
    run="solver.geometry.meshing:run_geometry",
    describe="solver.geometry.kind:describe",
    title="a structure and its mesh only",
    key_results=("cells", "quality_min", "tip_projection_um", "wiring_thickness_um", "concavity_depth_um",
                 "undercut_um", "barrier_thickness_um", "bump_depth_below_film_um", "bump_radius_at_film_um"),
    result_names="solver.geometry.kind:result_names",
)
