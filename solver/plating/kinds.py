"""The plating case kinds: ``plating`` (a cell's current distribution), ``seed_layer`` (the
terminal effect across a wafer) and ``fill`` (a deposit grown at feature scale)."""

from __future__ import annotations

from solver.core.kind import CaseKind
from solver.plating.schema import FillCase, PlatingCase, SeedLayerCase


def describe_plating(case: PlatingCase, source: str = "") -> str:
    op = case.operation
    how = f"{op.cell_voltage:.4g} V" if op.cell_voltage is not None else f"{op.current:.4g} A"
    return (f"ok: {case.name} (plating, {case.geometry.shape} cell, cathode {case.cathode.kinetics}, "
            f"anode {case.anode.kinetics}, {how})")


def describe_seed_layer(case: SeedLayerCase, source: str = "") -> str:
    return (f"ok: {case.name} (seed_layer, wafer radius {case.geometry.radius * 1e3:.4g} mm, seed "
            f"{case.seed.thickness * 1e9:.4g} nm {case.seed.metal}, cathode {case.cathode.kinetics})")


def describe_fill(case: FillCase, source: str = "") -> str:
    op = case.operation
    how = f"{op.cell_voltage:.4g} V" if op.cell_voltage is not None else f"{op.current_density:.4g} A/m^2"
    level = "tertiary" if case.electrolyte.tertiary else "secondary"
    return (f"ok: {case.name} (fill, {case.geometry.type}, {level} {case.cathode.kinetics}, {how}, up to "
            f"{case.growth.time / 60:.4g} min in steps of at most {case.growth.max_advance * 1e6:.3g} um)")


PLATING = CaseKind(
    name="plating",
    model=PlatingCase,
    run="solver.plating.run_cell:run_plating",
    describe="solver.plating.kinds:describe_plating",
    title="current distribution in a plating cell",
    key_results=("mean_current_density_A_per_dm2", "thickness_mean_um", "thickness_min_um", "uniformity_pct"),
)
SEED_LAYER = CaseKind(
    name="seed_layer",
    model=SeedLayerCase,
    run="solver.plating.run_seed_layer:run_seed_layer",
    describe="solver.plating.kinds:describe_seed_layer",
    title="terminal effect and thickness across a wafer",
    key_results=("centre_thickness_um", "edge_thickness_um", "thickness_uniformity", "current_uniformity"),
)
FILL = CaseKind(
    name="fill",
    model=FillCase,
    run="solver.plating.run_fill:run_fill",
    describe="solver.plating.kinds:describe_fill",
    title="barrier coat and fill of a concavity, with voids",
    key_results=("plating_time_min", "coat_mean_thickness_um", "coat_min_over_max", "filled", "fill_time_min",
                 "void_count", "void_volume_um3", "largest_void_r_um", "largest_void_z_um"),
    restart=True,
    restart_check="solver.plating.run_fill:check_checkpoint",
    hands_over=("concavity.toml",),
)
