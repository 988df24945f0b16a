"""The ``thermoelastic`` case: model, load path, supports, solver and output settings, the
materials by region, and the closed-form benchmark it may be compared with."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from meshes.units import (
    Density,
    Length,
    MolarMass,
    Resistivity,
    Stress,
    Temperature,
    TemperatureDifference,
    ThermalExpansion,
)
from solver.core.case import CaseBase, CaseError, LinearSolverSettings, Strict, check_geometry
from solver.core.materials import LIBRARY, Material, library_material


class MaterialSpec(Strict):
    """Override a library material (``[materials.Cu]``) or define a new one from a base
    (``[materials.filled_resin] base = "epoxy_resin_sheet"``) or from scratch."""

    base: str | None = Field(None, description="library material to start from")
    E: Stress | None = Field(None, gt=0, description="Young's modulus")
    nu: float | None = Field(None, gt=-1.0, lt=0.5, description="Poisson's ratio")
    cte: ThermalExpansion | None = Field(None, description="linear thermal expansion coefficient")
    cte_valid_from: Temperature | None = Field(None, gt=0)
    cte_valid_to: Temperature | None = Field(None, gt=0)
    density: Density | None = Field(None, gt=0)
    molar_mass: MolarMass | None = Field(None, ge=0)
    valence: int | None = Field(None, ge=1, le=8)
    resistivity: Resistivity | None = Field(None, gt=0)
    stress_free_temperature: Temperature | None = Field(
        None, gt=0, description="temperature at which this material is free of stress (cure, solidification)"
    )
    E_table: list[tuple[Temperature, Stress]] | None = Field(
        None, min_length=2, description="piecewise-linear E(T): [[T, E], ...], constant beyond the ends"
    )
    cte_table: list[tuple[Temperature, ThermalExpansion]] | None = Field(
        None, min_length=2, description="piecewise-linear instantaneous CTE(T), integrated along the load path"
    )

    @model_validator(mode="after")
    def _tables(self):
        for name in ("E_table", "cte_table"):
            table = getattr(self, name)
            if table is None:
                continue
            temps = [t for t, _ in table]
            if any(b <= a for a, b in zip(temps, temps[1:])):
                raise ValueError(f"{name}: temperatures must increase strictly")
            if name == "E_table" and any(v <= 0 for _, v in table):
                raise ValueError("E_table: moduli must be positive")
        return self


# -- thermo-elastic case ---------------------------------------------------------------
class ElasticModel(Strict):
    formulation: Literal["3d", "plane_stress", "plane_strain", "axisymmetric"] = Field(
        description="3d; or 2D: plane_stress (thin strip), plane_strain (long body), axisymmetric (x = r)"
    )
    degree: Literal[1, 2] = Field(2, description="Lagrange degree of the displacement")
    geometric_nonlinearity: bool = Field(
        False, description="large deflection (total Lagrangian, St Venant-Kirchhoff): wafer-scale warpage"
    )
    max_increment: TemperatureDifference = Field(
        20.0, gt=0, description="largest temperature change per Newton continuation increment (nonlinear)"
    )

    @model_validator(mode="after")
    def _nonlinear_formulations(self):
        if self.geometric_nonlinearity and self.formulation == "plane_stress":
            raise ValueError("geometric_nonlinearity is available for 3d, plane_strain and axisymmetric models")
        return self


class LoadStep(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)
    temperature: Temperature = Field(gt=0)


class ThermalLoad(Strict):
    """A uniform temperature, or a load path of named steps (cool-down, thermal-cycle
    extremes). Each step is the equilibrium at its temperature, starting from every
    material's stress-free state."""

    temperature: Temperature | None = Field(None, gt=0, description="a single load step")
    steps: list[LoadStep] | None = Field(None, min_length=1, max_length=50)
    stress_free_temperature: Temperature = Field(
        gt=0, description="default stress-free temperature of materials that set none"
    )

    @model_validator(mode="after")
    def _one_of(self):
        if (self.temperature is None) == (self.steps is None):
            raise ValueError("give either temperature (one step) or steps (a load path)")
        if self.steps is not None and len({s.name for s in self.steps}) != len(self.steps):
            raise ValueError("step names must be unique")
        return self

    @property
    def path(self) -> list[tuple[str, float]]:
        if self.steps is None:
            return [("load", self.temperature)]
        return [(s.name, s.temperature) for s in self.steps]


class Supports(Strict):
    symmetry: list[str] = Field(default_factory=list, description="boundaries that are symmetry planes")
    clamped: list[str] = Field(default_factory=list, description="boundaries with all displacement fixed")


class OutputSettings(Strict):
    fields: bool = Field(True, description="write the fields (fields/*.pvd: VTU with region and boundary names)")
    picture: bool = Field(True, description="write a PNG")
    curvature_fit_fraction: float = Field(
        1.0, gt=0, le=1, description="fit curvature over this fraction of the bottom surface's half-extent"
    )
    averaging_radius: Length = Field(
        10e-6, gt=0, description="interface tractions near singular edges are averaged over this radius"
    )


class Validation(Strict):
    benchmark: Literal["free_expansion", "timoshenko_bimetal", "film_on_wafer", "lame_cylinder",
                       "sphere_in_shell"]


class SolidCase(CaseBase):
    """What the thermo-elastic and reliability cases share: a model whose formulation fixes
    the geometry's dimension, regions made of materials, and the record of those materials
    in the resolved case."""

    @model_validator(mode="after")
    def _dimension_matches(self):
        want = 3 if self.model.formulation == "3d" else 2
        if self.geometry.dimension != want:
            raise ValueError(
                f"model.formulation = {self.model.formulation!r} needs a {want}D geometry, "
                f"but geometry.dimension = {self.geometry.dimension}"
            )
        return self

    @property
    def mesh_order(self) -> int:
        if self.mesh.order is not None:
            return self.mesh.order
        return self.model.degree if self.geometry.curved else 1

    def resolved_extra(self) -> dict:
        return materials_by_region(self)


class ThermoelasticCase(SolidCase):
    kind: Literal["thermoelastic"]
    model: ElasticModel
    regions: dict[str, str] = Field(description="region name -> material name")
    materials: dict[str, MaterialSpec] = Field(default_factory=dict)
    load: ThermalLoad
    supports: Supports = Supports()
    solver: LinearSolverSettings = LinearSolverSettings()
    output: OutputSettings = OutputSettings()
    validation: Validation | None = None


def check_benchmark_applies(case) -> str | None:
    """None if the case fits its benchmark, else what is wrong (one sentence)."""
    name = case.validation.benchmark
    geo, form = case.geometry, case.model.formulation
    if name == "free_expansion":
        return None  # checked on resolved materials at run time (equal CTE and T_sf)
    if name in ("timoshenko_bimetal", "film_on_wafer"):
        want = "plane_stress" if name == "timoshenko_bimetal" else "axisymmetric"
        if geo.type != "layered_plate" or len(geo.layers) != 2 or form != want:
            return f"{name} needs a layered_plate with exactly 2 layers and model.formulation = {want!r}"
        if geo.layers[0].region == geo.layers[1].region:
            return f"{name} needs two layers of different regions"
        return None
    if name in ("lame_cylinder", "sphere_in_shell"):
        want = "plane_strain" if name == "lame_cylinder" else "axisymmetric"
        if geo.type != "core_shell" or form != want:
            return f"{name} needs a core_shell geometry and model.formulation = {want!r}"
        if name == "sphere_in_shell" and geo.sector != "quarter":
            return "sphere_in_shell needs sector = 'quarter' (the r >= 0, z >= 0 quarter of the r-z plane)"
        return None
    return f"unknown benchmark {name!r}"


def check_thermoelastic(case: ThermoelasticCase) -> None:
    """Regions, materials and supports resolve, and the closed-form benchmark (if any)
    applies to this geometry."""
    check_materials_and_supports(case)
    if case.validation is not None:
        problem = check_benchmark_applies(case)
        if problem:
            raise CaseError(f"validation.benchmark: {problem}")


def check_materials_and_supports(case) -> None:
    """Every region has a material that resolves and every support names a boundary (any
    case with ``regions``, ``materials`` and ``supports``)."""
    regions, boundaries = check_geometry(case.geometry, case.mesh.max_cells)
    for region in regions:
        if region not in case.regions:
            raise CaseError(f"regions: region {region!r} of the geometry has no material (add {region} = \"...\")")
    for region, material in case.regions.items():
        if region not in regions:
            raise CaseError(f"regions.{region}: the geometry has no region {region!r} (it has: {', '.join(regions)})")
        if material not in LIBRARY and material not in case.materials:
            raise CaseError(
                f"regions.{region}: unknown material {material!r}; use a library material "
                f"({', '.join(LIBRARY)}) or define it under [materials.{material}]"
            )
    for name, spec in case.materials.items():
        _resolve_material(name, spec)  # raises on incomplete definitions
    for group in ("symmetry", "clamped"):
        for i, b in enumerate(getattr(case.supports, group)):
            if b not in boundaries:
                raise CaseError(
                    f"supports.{group}[{i}]: the geometry has no boundary {b!r} (it has: {', '.join(boundaries)})"
                )


def _resolve_material(name: str, spec: MaterialSpec) -> Material:
    base_name = spec.base or (name if name in LIBRARY else None)
    values = spec.model_dump(exclude={"base", "stress_free_temperature", "cte_valid_from", "cte_valid_to",
                                      "E_table", "cte_table"})
    tables = {k: tuple(tuple(p) for p in getattr(spec, k)) for k in ("E_table", "cte_table")
              if getattr(spec, k) is not None}
    if base_name is not None:
        if base_name not in LIBRARY:
            raise CaseError(f"materials.{name}.base: unknown library material {base_name!r} ({', '.join(LIBRARY)})")
        base = library_material(base_name)
        lo = spec.cte_valid_from if spec.cte_valid_from is not None else base.cte_valid[0]
        hi = spec.cte_valid_to if spec.cte_valid_to is not None else base.cte_valid[1]
        return base.with_overrides(name, cte_valid=(lo, hi), **values, **tables)
    missing = [k for k in ("E", "nu", "cte") if values[k] is None]
    if missing:
        raise CaseError(
            f"materials.{name}: a new material without a base needs {', '.join(missing)} "
            f"(or set base = one of {', '.join(LIBRARY)})"
        )
    lo = spec.cte_valid_from if spec.cte_valid_from is not None else 0.0
    hi = spec.cte_valid_to if spec.cte_valid_to is not None else float("inf")
    return Material(
        name=name, E=values["E"], nu=values["nu"], cte=values["cte"], cte_valid=(lo, hi),
        density=values["density"] or 0.0, molar_mass=values["molar_mass"] or 0.0,
        valence=values["valence"], resistivity=values["resistivity"] or 0.0, source="case file", **tables,
    )


def resolve_materials(case: ThermoelasticCase) -> tuple[dict[str, Material], dict[str, float]]:
    """Region name -> (material, stress-free temperature in K)."""
    materials: dict[str, Material] = {}
    stress_free: dict[str, float] = {}
    for region, name in case.regions.items():
        spec = case.materials.get(name)
        materials[region] = _resolve_material(name, spec) if spec is not None else library_material(name)
        t = spec.stress_free_temperature if spec is not None else None
        stress_free[region] = t if t is not None else case.load.stress_free_temperature
    return materials, stress_free


def materials_by_region(case: ThermoelasticCase) -> dict:
    """The resolved case's record of what each region is made of."""
    materials, stress_free = resolve_materials(case)
    return {"materials_by_region": {r: m.as_dict() for r, m in materials.items()},
            "stress_free_temperature_K_by_region": stress_free}
