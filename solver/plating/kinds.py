"""The plating case kinds: ``plating`` (a cell's current distribution), ``seed_layer`` (the
terminal effect across a wafer) and ``fill`` (a deposit grown at feature scale)."""

from __future__ import annotations

from solver.core.kind import CaseKind
from solver.core.result_names import ResultNames
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


# a plating cell's current distribution, and the 3D wiring cell's plated thickness
PLATING_RESULTS = (
    "cell_voltage_V", "current_A", "current_A_per_m", "flux_current_A", "charge_C",
    "mean_current_density_A_per_m2", "mean_current_density_A_per_dm2", "max_current_density_A_per_m2",
    "min_current_density_A_per_m2", "uniformity", "uniformity_pct", "wagner_number",
    "resistance_ohm", "resistance_ohm_m", "ohmic_resistance_ohm", "ohmic_resistance_ohm_m",
    "cathode_overpotential_V", "anode_overpotential_V",
    "min_surface_concentration_mol_per_m3", "mean_surface_concentration_mol_per_m3",
    "surface_over_bulk_concentration", "bulk_conductivity_S_per_m", "transference_number",
    "limiting_current_density_A_per_m2", "current_over_limiting",
    "cathode_area_um2", "deposited_volume_um3", "faraday_volume_um3", "plating_time_s", "thickness_mean_um",
    "thickness_min_um", "thickness_max_um", "thickness_line_mean_um", "thickness_pad_mean_um",
    "pad_to_line_thickness_ratio",
)
SEED_LAYER_RESULTS = (
    "cell_voltage_V", "current_A", "charge_C", "mean_current_density_A_per_m2", "centre_current_density_A_per_m2",
    "edge_current_density_A_per_m2", "centre_over_edge_current", "current_uniformity", "current_balance_rel",
    "centre_overpotential_V", "edge_overpotential_V", "centre_thickness_um", "edge_thickness_um",
    "mean_thickness_um", "min_thickness_um", "max_thickness_um", "edge_over_centre_thickness",
    "thickness_uniformity", "deposited_mass_mg", "faraday_balance_rel", "plating_time_min",
    "sheet_resistance_ohm_per_sq", "electrolyte_resistance_ohm_m2", "terminal_effect_number", "wagner_number",
    "end_centre_over_edge_current", "end_current_balance_rel", "uniform_electrolyte_centre_over_edge_current",
    "uniform_electrolyte_contact_overpotential_V", "uniform_electrolyte_current_uniformity",
    "uniform_electrolyte_edge_over_centre_thickness", "uniform_electrolyte_thickness_uniformity",
)
FILL_RESULTS = (
    "plating_time_min", "growth_steps", "charge_C", "charge_C_per_m", "deposited_volume_um3", "deposited_mass_ug",
    "deposited_mass_ug_per_m",
    "deposited_area_um2", "faraday_balance_rel", "wagner_number",
    "start_mean_current_density_A_per_m2", "start_min_current_density_A_per_m2",
    "start_max_current_density_A_per_m2", "start_current_uniformity", "start_current_over_footprint_A_per_m2",
    "coat_mean_thickness_um", "coat_min_thickness_um", "coat_max_thickness_um", "coat_min_over_max",
    "coat_uniformity", "concavity_and_hole_volume_um3", "fill_fraction", "filled", "fill_time_min",
    "void", "void_count", "void_volume_um3", "void_fraction", "seam_count", "largest_void_r_um",
    "largest_void_z_um", "largest_void_volume_um3", "largest_void_closed_min",
    "cylinder_radius_um", "cylinder_roundness_um",
)


def plating_results(case: PlatingCase) -> ResultNames:
    return ResultNames(PLATING_RESULTS)


def seed_layer_results(case: SeedLayerCase) -> ResultNames:
    return ResultNames(SEED_LAYER_RESULTS)


def fill_results(case: FillCase) -> ResultNames:
    return ResultNames(FILL_RESULTS)


PLATING = CaseKind(
    name="plating",
    model=PlatingCase,
    run="solver.plating.run_cell:run_plating",
    describe="solver.plating.kinds:describe_plating",
    title="current distribution in a plating cell",
    key_results=("mean_current_density_A_per_dm2", "thickness_mean_um", "thickness_min_um", "uniformity_pct"),
    result_names="solver.plating.kinds:plating_results",
)
SEED_LAYER = CaseKind(
    name="seed_layer",
    model=SeedLayerCase,
    run="solver.plating.run_seed_layer:run_seed_layer",
    describe="solver.plating.kinds:describe_seed_layer",
    title="terminal effect and thickness across a wafer",
    key_results=("centre_thickness_um", "edge_thickness_um", "thickness_uniformity", "current_uniformity"),
    result_names="solver.plating.kinds:seed_layer_results",
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
    result_names="solver.plating.kinds:fill_results",
)
