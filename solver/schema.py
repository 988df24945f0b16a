"""Case files: TOML validated into typed models, every dimensional value converted to SI.

``load_case(path, overrides)`` is the only entry: it reads the TOML, applies ``--set``
overrides, validates (unknown keys are errors, bare numbers for dimensional values are
errors) and cross-checks names (regions, materials, boundaries). Any failure raises
:class:`CaseError` with one line naming the field path and the rule."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from meshes import GeometryError, GeometrySpec
from meshes.units import (
    Density,
    Length,
    TemperatureDifference,
    MolarMass,
    Resistivity,
    Stress,
    Temperature,
    ThermalExpansion,
    Time,
    Velocity,
    Concentration,
    Diffusivity,
    Conductivity,
    Current,
    CurrentDensity,
    Voltage,
)

from .materials import LIBRARY, Material, library_material


class CaseError(ValueError):
    """Invalid input: the CLI prints ``str(err)`` and exits 2."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- materials -------------------------------------------------------------------------
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


class MeshSettings(Strict):
    algorithm: Literal["hxt", "delaunay"] = Field("hxt", description="gmsh 3D algorithm")
    threads: int = Field(1, ge=1, le=64, description="gmsh threads; more than 1 is faster but not reproducible")
    order: Literal[1, 2] | None = Field(
        None,
        description="geometric order of the elements; default: the displacement degree where the "
        "geometry is curved, else 1 (straight-sided cells are exact and cheaper)",
    )


class LinearSolverSettings(Strict):
    method: Literal["auto", "iterative", "direct"] = Field(
        "auto", description="iterative: CG + GAMG; direct: MUMPS; auto: direct below direct_below_dofs"
    )
    rtol: float = Field(1e-10, gt=0, lt=1, description="unpreconditioned relative residual")
    max_iterations: int = Field(2000, ge=1)
    direct_below_dofs: int = Field(100_000, ge=0)


class OutputSettings(Strict):
    fields: bool = Field(True, description="write ParaView fields (VTX .bp) and the mesh (XDMF)")
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


CaseName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)]


class CaseBase(Strict):
    """What every case kind has: its kind (a literal in each kind), a name that is also a
    folder name, a description, the geometry and its meshing."""

    kind: str
    name: CaseName
    description: str = ""
    geometry: GeometrySpec
    mesh: MeshSettings = MeshSettings()


class ThermoelasticCase(CaseBase):
    kind: Literal["thermoelastic"]
    model: ElasticModel
    regions: dict[str, str] = Field(description="region name -> material name")
    materials: dict[str, MaterialSpec] = Field(default_factory=dict)
    load: ThermalLoad
    supports: Supports = Supports()
    solver: LinearSolverSettings = LinearSolverSettings()
    output: OutputSettings = OutputSettings()
    validation: Validation | None = None

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


class GeometryCase(CaseBase):
    """A structure only: ``sprout run`` meshes it and reports counts, volumes and quality
    (the geometry step of a process flow, or a mesh to hand to another tool)."""

    kind: Literal["geometry"]

    @property
    def mesh_order(self) -> int:
        return self.mesh.order or 1


class Etchant(Strict):
    """The liquid of a mixed-control etch: diffusion through a stagnant layer (well mixed
    above it), first-order kinetics on the metal. ``diffusion = "transient"`` keeps dc/dt:
    fresh etchant at t = 0 in a quiescent liquid (a deep ``stagnant_layer``), where no
    steady state exists."""

    concentration: Concentration = Field(gt=0, description="etchant in the bulk, c0")
    diffusivity: Diffusivity = Field(gt=0, description="etchant diffusivity D in the liquid")
    rate_constant: Velocity = Field(gt=0, description="first-order surface rate constant k (flux = k c)")
    stagnant_layer: Length = Field(gt=0, description="diffusion layer above the film, delta")
    metal: str = Field("Cu", description="library material etched (its molar volume M / rho)")
    stoichiometry: float = Field(1.0, gt=0, description="moles of etchant per mole of metal")
    diffusion: Literal["quasi_steady", "transient"] = Field(
        "quasi_steady", description="quasi_steady: the liquid's concentration in balance with the wall at every "
        "step; transient: dc/dt = D lap c from fresh etchant, carried across the remeshed liquid")


class EtchSettings(Strict):
    """``reaction_limited``: the base recedes along its normal at ``rate`` wherever the
    etchant reaches it through the openings (exact front). ``mixed``: the etchant diffuses
    to the wall and reacts there (``[etch.etchant]``); axisymmetric."""

    model: Literal["reaction_limited", "mixed"] = "reaction_limited"
    rate: Velocity | None = Field(None, gt=0, description="normal etch rate of the base (reaction_limited)")
    etchant: Etchant | None = None
    times: list[Time] = Field(min_length=1, description="etch times at which the concavity is reported")
    max_advance: Length = Field(0.5e-6, gt=0, description="largest wall motion per step (mixed)")

    @model_validator(mode="after")
    def _consistent(self):
        if any(b <= a for a, b in zip(self.times, self.times[1:])) or self.times[0] <= 0:
            raise ValueError("times must be positive and increasing")
        if self.model == "reaction_limited" and self.rate is None:
            raise ValueError("model = 'reaction_limited' needs rate (e.g. '1 um/min')")
        if self.model == "mixed" and self.etchant is None:
            raise ValueError("model = 'mixed' needs an [etch.etchant] table")
        return self


class EtchOutput(Strict):
    picture: bool = Field(True, description="etch.png: the profiles against the exact reaction-limited front")


class EtchCase(CaseBase):
    """Isotropic etch of the base through the film's holes (process B)."""

    kind: Literal["etch"]
    etch: EtchSettings
    output: EtchOutput = EtchOutput()

    @model_validator(mode="after")
    def _masked_base(self):
        if self.geometry.type != "masked_base":
            raise ValueError(f"an etch case needs geometry.type = 'masked_base', not {self.geometry.type!r}")
        if self.geometry.liquid_height is not None:
            raise ValueError("geometry.liquid_height: an etch case meshes its own etchant (the stagnant layer)")
        if self.etch.model == "mixed":
            if self.geometry.dimension == 3 and self.etch.etchant.diffusion != "quasi_steady":
                raise ValueError("etch.etchant.diffusion: the 3D mixed model is quasi-steady; transient diffusion "
                                 "runs on the axisymmetric hole (geometry.dimension = 2)")
            if self.etch.etchant.metal not in LIBRARY:
                raise ValueError(f"etch.etchant.metal: unknown material {self.etch.etchant.metal!r} "
                                 f"({', '.join(LIBRARY)})")
            return self
        depth = self.etch.rate * self.etch.times[-1]
        if depth > self.geometry.etch_zone * (1 + 1e-9):
            raise ValueError(f"etch.times: the last time etches {depth * 1e6:.4g} um deep, beyond "
                             f"geometry.etch_zone ({self.geometry.etch_zone * 1e6:.4g} um, the refined zone)")
        return self

    @property
    def mesh_order(self) -> int:
        return 1


class ElectrodeSpec(Strict):
    """Electrode kinetics: ``none`` (primary: no overpotential), ``linear`` (Butler-Volmer
    linearised at equilibrium), ``butler_volmer``, ``tafel`` (the cathodic branch)."""

    kinetics: Literal["none", "linear", "butler_volmer", "tafel"] = "none"
    exchange_current_density: CurrentDensity | None = Field(None, gt=0)
    alpha_a: float = Field(0.5, gt=0, le=1, description="anodic transfer coefficient")
    alpha_c: float = Field(0.5, gt=0, le=1, description="cathodic transfer coefficient")
    equilibrium_potential: Voltage = 0.0

    @model_validator(mode="after")
    def _i0(self):
        if self.kinetics != "none" and self.exchange_current_density is None:
            raise ValueError(f"kinetics = {self.kinetics!r} needs exchange_current_density")
        return self


class Electrolyte(Strict):
    """``conductivity`` alone: primary/secondary. With ``diffusivity`` and
    ``bulk_concentration`` of the depositing ion: tertiary (supporting electrolyte), the
    anode boundary then being the edge of the diffusion layer at the bulk concentration.

    ``model = "binary"``: a single salt without support (the depositing cation, valence
    ``valence``, and one anion, ``anion_valence`` < 0, ``anion_diffusivity``), electroneutral,
    both ions migrating; the conductivity then follows from the concentration
    (F^2/RT (z+^2 D+ c+ + z-^2 D- c-)) and must not be given."""

    model: Literal["supporting", "binary"] = Field(
        "supporting", description="supporting: the depositing ion diffuses in an excess of support (kappa given); "
        "binary: one salt, electroneutral, migration of both ions (kappa from the concentration)")
    conductivity: Conductivity | None = Field(None, gt=0, description="required unless model = 'binary'")
    diffusivity: Diffusivity | None = Field(None, gt=0, description="of the depositing ion")
    bulk_concentration: Concentration | None = Field(None, gt=0, description="of the depositing ion")
    valence: int = Field(2, ge=1, le=4, description="charge number n of the depositing ion")
    anion_diffusivity: Diffusivity | None = Field(None, gt=0, description="binary: the anion's diffusivity D-")
    anion_valence: int | None = Field(None, ge=-4, le=-1, description="binary: the anion's charge number z- (< 0)")

    @model_validator(mode="after")
    def _both(self):
        if (self.diffusivity is None) != (self.bulk_concentration is None):
            raise ValueError("a tertiary distribution needs both diffusivity and bulk_concentration")
        return self

    def problem(self) -> str | None:
        """The first inconsistency between ``model`` and the fields given, naming its field
        (checked by the case, so that the message carries the full path)."""
        binary = self.model == "binary"
        if binary:
            for name, example in (("diffusivity", "'0.72e-9 m^2/s'"), ("bulk_concentration", "'100 mol/m^3'"),
                                  ("anion_diffusivity", "'1.065e-9 m^2/s'"), ("anion_valence", "-2")):
                if getattr(self, name) is None:
                    return f"electrolyte.{name}: required for electrolyte.model = 'binary' (e.g. {example})"
            if self.conductivity is not None:
                return ("electrolyte.conductivity: not an input of electrolyte.model = 'binary' (it follows from "
                        "the concentration, F^2/RT (z+^2 D+ c+ + z-^2 D- c-)); remove it")
            return None
        if self.conductivity is None:
            return "electrolyte.conductivity: required but missing (it is an input unless electrolyte.model = 'binary')"
        for name in ("anion_diffusivity", "anion_valence"):
            if getattr(self, name) is not None:
                return f"electrolyte.{name}: only for electrolyte.model = 'binary' (the model is 'supporting')"
        return None

    @property
    def tertiary(self) -> bool:
        return self.diffusivity is not None

    @property
    def binary(self) -> bool:
        return self.model == "binary"


class Operation(Strict):
    """Potentiostatic (``cell_voltage``, anode against cathode) or galvanostatic (``current``,
    the total cathodic current; axisymmetric cells)."""

    cell_voltage: Voltage | None = None
    current: Current | None = Field(None, gt=0)
    continuation_steps: int = Field(8, ge=1, le=1000, description="tertiary: steps from 0 V to the cell voltage")

    @model_validator(mode="after")
    def _one(self):
        if (self.cell_voltage is None) == (self.current is None):
            raise ValueError("give either cell_voltage (potentiostatic) or current (galvanostatic)")
        return self


class PlatingCase(CaseBase):
    """Primary, secondary and tertiary (supporting or binary electrolyte) current
    distribution in a plating cell."""

    kind: Literal["plating"]
    electrolyte: Electrolyte
    cathode: ElectrodeSpec = ElectrodeSpec()
    anode: ElectrodeSpec = ElectrodeSpec()
    operation: Operation
    temperature: Temperature = Field(298.15, gt=0)
    growth: Growth | None = Field(None, description="wiring_cell: Faraday thickness map after growth.time")
    solver: LinearSolverSettings = LinearSolverSettings()

    @model_validator(mode="after")
    def _cell(self):
        if self.geometry.type not in ("plating_cell", "wiring_cell"):
            raise ValueError(f"a plating case needs geometry.type = 'plating_cell' or 'wiring_cell', "
                             f"not {self.geometry.type!r}")
        if self.geometry.type == "wiring_cell" and (self.electrolyte.tertiary or self.operation.current is not None):
            raise ValueError("geometry.type = 'wiring_cell' runs the secondary distribution at a cell_voltage")
        problem = self.electrolyte.problem()
        if problem:
            raise ValueError(problem)
        if self.electrolyte.tertiary:
            if self.cathode.kinetics != "butler_volmer" or self.anode.kinetics != "none":
                raise ValueError("electrolyte.diffusivity: the tertiary distribution takes Butler-Volmer kinetics "
                                 "at the cathode and the anode boundary as the diffusion layer's edge "
                                 "(anode.kinetics = 'none')")
            if self.operation.cell_voltage is None:
                raise ValueError("operation.current: the tertiary distribution runs potentiostatically (cell_voltage)")
        if self.operation.current is not None and not self.geometry.axisymmetric:
            raise ValueError("operation.current: galvanostatic operation needs an axisymmetric cell "
                             "(a plane cell's current is per unit depth)")
        return self

    @property
    def mesh_order(self) -> int:
        return 1 if self.geometry.type == "wiring_cell" else 2


class SeedFilm(Strict):
    thickness: Length = Field(gt=0)
    metal: str = Field("Cu", description="library material of the seed (its resistivity)")
    resistivity: Resistivity | None = Field(None, gt=0, description="overrides the metal's")


class SeedOperation(Strict):
    """``wafer`` (electrolyte at uniform potential): the contact overpotential; ``wafer_cell``
    (coupled to the electrolyte): the cell voltage, anode against the contact ring."""

    contact_overpotential: Voltage | None = Field(None, description="seed potential at the contact ring against "
                                                                    "the electrolyte, less E_eq (negative plates)")
    cell_voltage: Voltage | None = Field(None, description="wafer_cell: anode potential against the contact ring")


class Growth(Strict):
    time: Time = Field(0.0, ge=0, description="plating time (0: the distribution only)")
    steps: int = Field(10, ge=1, le=100000)
    deposit: str = Field("Cu_plated", description="library material deposited")
    efficiency: float = Field(1.0, gt=0, le=1, description="current efficiency")


class SeedLayerCase(CaseBase):
    """The terminal effect on a wafer: seed film fed at the rim; the deposit thickness map
    over time. Geometry ``wafer`` (a radius): the electrolyte at uniform potential.
    Geometry ``wafer_cell`` (the axisymmetric cell) with ``[electrolyte] conductivity``: the
    film solved coupled to the electrolyte, the anode at ``operation.cell_voltage``."""

    kind: Literal["seed_layer"]
    seed: SeedFilm
    cathode: ElectrodeSpec
    operation: SeedOperation
    electrolyte: Electrolyte | None = None
    anode: ElectrodeSpec | None = None
    growth: Growth = Growth()
    temperature: Temperature = Field(298.15, gt=0)

    @model_validator(mode="after")
    def _wafer(self):
        if self.geometry.type not in ("wafer", "wafer_cell"):
            raise ValueError(f"geometry.type: a seed_layer case needs 'wafer' (electrolyte at uniform potential) "
                             f"or 'wafer_cell' (coupled to the electrolyte), not {self.geometry.type!r}")
        op = self.operation
        if self.geometry.type == "wafer":
            for field, given in (("electrolyte", self.electrolyte), ("anode", self.anode),
                                 ("operation.cell_voltage", op.cell_voltage)):
                if given is not None:
                    raise ValueError(f"{field}: geometry.type = 'wafer' holds the electrolyte at uniform potential; "
                                     "use geometry.type = 'wafer_cell' to couple the seed to the electrolyte")
            if op.contact_overpotential is None:
                raise ValueError("operation.contact_overpotential: required with geometry.type = 'wafer'")
        else:
            if self.electrolyte is None or getattr(self.electrolyte, "conductivity", None) is None:
                raise ValueError("electrolyte.conductivity: geometry.type = 'wafer_cell' couples the seed to the "
                                 "electrolyte and needs [electrolyte] conductivity")
            if self.electrolyte.tertiary:
                raise ValueError("electrolyte.diffusivity: the seed film is coupled to a secondary distribution "
                                 "(conductivity only); mass transport is not modelled here")
            if op.contact_overpotential is not None:
                raise ValueError("operation.contact_overpotential: with geometry.type = 'wafer_cell' the electrolyte's "
                                 "potential varies; give operation.cell_voltage (anode against the contact ring)")
            if op.cell_voltage is None:
                raise ValueError("operation.cell_voltage: required with geometry.type = 'wafer_cell' (anode against "
                                 "the contact ring)")
        if self.cathode.kinetics == "none":
            raise ValueError("cathode.kinetics: the terminal effect needs kinetics (linear, butler_volmer, tafel)")
        for field, name in (("seed.metal", self.seed.metal), ("growth.deposit", self.growth.deposit)):
            if name not in LIBRARY:
                raise ValueError(f"{field}: unknown material {name!r} ({', '.join(LIBRARY)})")
        return self

    @property
    def mesh_order(self) -> int:
        return 1


class FillOperation(Strict):
    """Potentiostatic (``cell_voltage``: the bulk at the diffusion layer's edge against the
    deposit) or galvanostatic (``current_density``: the mean over the cell's footprint;
    secondary distributions only)."""

    cell_voltage: Voltage | None = None
    current_density: CurrentDensity | None = Field(None, gt=0, description="mean over the cell's footprint")
    continuation_steps: int = Field(6, ge=1, le=1000, description="tertiary: steps from 0 V each growth step")

    @model_validator(mode="after")
    def _one(self):
        if (self.cell_voltage is None) == (self.current_density is None):
            raise ValueError("give either cell_voltage (potentiostatic) or current_density (galvanostatic)")
        return self


class FillGrowth(Strict):
    time: Time = Field(gt=0, description="the longest plating time (the run stops earlier when filled)")
    deposit: str = Field("Cu_plated", description="library material deposited")
    efficiency: float = Field(1.0, gt=0, le=1, description="current efficiency")
    front_element_size: Length = Field(gt=0, description="cells along the deposit's surface, and its point spacing")
    max_advance: Length = Field(gt=0, description="the surface moves at most this far per step")
    stop_when_filled: bool = True


class FillCase(CaseBase):
    """A deposit grown at feature scale with its surface moving: the concavity of process B
    (geometry ``substrate``, dimension 2, stage ``etched``, with ``[geometry.electrolyte]``
    as the diffusion layer: barrier coating, fill, void check), or the growing inner
    cylinder of a coaxial ``plating_cell``."""

    kind: Literal["fill"]
    electrolyte: Electrolyte
    cathode: ElectrodeSpec
    operation: FillOperation
    growth: FillGrowth
    temperature: Temperature = Field(298.15, gt=0)

    @model_validator(mode="after")
    def _section(self):
        geo = self.geometry
        if geo.type == "substrate":
            if geo.dimension != 2 or geo.stage != "etched" or geo.electrolyte is None:
                raise ValueError("geometry: a fill grows in the axisymmetric etched substrate (dimension = 2, "
                                 "stage = 'etched') with [geometry.electrolyte] height, the diffusion layer")
        elif geo.type != "plating_cell" or geo.shape != "coaxial":
            raise ValueError(f"geometry.type: a fill case needs 'substrate' (the concavity) or a coaxial "
                             f"'plating_cell' (the growing cylinder), not {geo.type!r}")
        problem = self.electrolyte.problem()
        if problem:
            raise ValueError(problem)
        if self.cathode.kinetics == "none":
            raise ValueError("cathode.kinetics: growth needs electrode kinetics (linear, butler_volmer, tafel): "
                             "with a primary distribution the moving surface is unstable at the mesh scale "
                             "(Laplacian growth has no shortest wavelength)")
        if self.electrolyte.tertiary:
            if self.cathode.kinetics != "butler_volmer":
                raise ValueError("cathode.kinetics: the tertiary distribution takes butler_volmer")
            if self.operation.cell_voltage is None:
                raise ValueError("operation.current_density: the tertiary distribution runs potentiostatically "
                                 "(cell_voltage)")
        if self.growth.max_advance > self.growth.front_element_size / 2:
            raise ValueError("growth.max_advance: at most half of growth.front_element_size (a longer explicit "
                             "step amplifies ripples at the front's spacing)")
        if self.growth.deposit not in LIBRARY:
            raise ValueError(f"growth.deposit: unknown material {self.growth.deposit!r} ({', '.join(LIBRARY)})")
        return self

    @property
    def mesh_order(self) -> int:
        return 1


# -- process flows ---------------------------------------------------------------------
STEP_REFERENCE = re.compile(r"\{([^{}]*)\}")
_OPERAND = re.compile(r"^(?:([a-z][a-z0-9_]*)(?:\.([A-Za-z0-9_]+))?|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))$")
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(==|!=|<=|>=|<|>)\s*(\S+)\s*$")


def reference_terms(expr: str) -> list[tuple[str, str | None, str | None, float | None]]:
    """``a.x * b.y / 2`` -> [("*", "a", "x", None), ("*", "b", "y", None), ("/", None, None, 2.0)]:
    an earlier step's result, or a product and quotient of results and numbers (a
    feature-scale thickness scaled by the wafer map). ``{a}`` alone is step a's folder."""
    parts = re.split(r"\s*([*/])\s*", expr.strip())
    terms = []
    for op, operand in zip(["*"] + parts[1::2], parts[0::2]):
        m = _OPERAND.match(operand)
        if not m:
            raise ValueError(f"{{{expr}}}: {operand!r} is neither step.result_key nor a number")
        terms.append((op, m.group(1), m.group(2), None if m.group(3) is None else float(m.group(3))))
    if len(terms) > 1 and any(step and key is None for _, step, key, _ in terms):
        raise ValueError(f"{{{expr}}}: a step's folder ({{step}}) cannot be multiplied")
    return terms


class FlowStep(Strict):
    """One step of a flow: an ordinary case file run in its own folder OUT/<nn>_<name>.
    ``{step.key}`` in ``set`` stands for an earlier step's result (keys end in their unit,
    so write it after: ``"geometry.barrier_thickness={barrier.coat_mean_thickness_um} um"``),
    also as a product or quotient with other results and numbers (``{a.x * b.y / b.z}``);
    ``{step}`` in ``merge`` for an earlier step's folder."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40, description="step name; its folder is <nn>_<name>")
    case: str = Field(min_length=1, description="case file, relative to the flow file")
    description: str = ""
    set: list[str] = Field(default_factory=list,
                           description="overrides as for --set KEY=VALUE; {step.result_key} inserts an earlier "
                                       "step's result")
    merge: list[str] = Field(default_factory=list,
                             description="TOML snippets (e.g. '{etch}/concavity.toml' written by the step 'etch') "
                                         "whose innermost tables replace the case's, before the overrides")
    require: list[str] = Field(default_factory=list,
                               description="conditions on this step's results, e.g. 'void_count == 0': the flow "
                                           "stops here when one fails")
    show: list[str] | None = Field(None, description="result keys for the flow summary (default: the kind's key "
                                                     "results)")

    @model_validator(mode="after")
    def _syntax(self):
        for i, item in enumerate(self.set):
            if "=" not in item or not item.split("=", 1)[0].strip():
                raise ValueError(f"set[{i}]: {item!r}: expected KEY=VALUE")
        for field, items in (("set", self.set), ("merge", self.merge)):
            for i, text in enumerate(items):
                for m in STEP_REFERENCE.finditer(text):
                    try:
                        terms = reference_terms(m.group(1))
                    except ValueError as exc:
                        raise ValueError(f"{field}[{i}]: {exc}") from None
                    if field == "set" and any(step and key is None for _, step, key, _ in terms):
                        raise ValueError(f"{field}[{i}]: {{{m.group(1)}}} is a step's folder; a value needs "
                                         "{step.result_key}")
        for i, item in enumerate(self.require):
            m = REQUIREMENT.match(item)
            if not m:
                raise ValueError(f"require[{i}]: {item!r}: expected 'result_key OP value' with OP one of "
                                 "== != < <= > >=")
            try:
                value = tomllib.loads(f"v = {m.group(3)}")["v"]
            except tomllib.TOMLDecodeError:
                value = None
            if not isinstance(value, (bool, int, float)):
                raise ValueError(f"require[{i}]: {m.group(3)!r} is not a number or true/false")
        return self

    def references(self) -> list[tuple[str, str, str | None]]:
        """(field, step, result key or None) of every ``{...}`` in set and merge."""
        out = []
        for field, items in (("set", self.set), ("merge", self.merge)):
            for i, text in enumerate(items):
                out += [(f"{field}[{i}]", step, key) for m in STEP_REFERENCE.finditer(text)
                        for _, step, key, _ in reference_terms(m.group(1)) if step]
        return out


class FlowCase(Strict):
    """A process flow: steps run in order, each an ordinary case in its own folder, fed by
    the results and files of the steps before it. A step that fails (its solve, its
    hand-over or one of its requirements) stops the flow with its reason."""

    kind: Literal["flow"]
    name: CaseName
    description: str = ""
    steps: list[FlowStep] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _names(self):
        seen: list[str] = []
        for i, step in enumerate(self.steps):
            if step.name in seen:
                raise ValueError(f"steps[{i}].name: {step.name!r} is used twice")
            for field, ref, _ in step.references():
                if ref not in seen:
                    raise ValueError(f"steps[{i}].{field}: {{{ref}}} names no earlier step"
                                     + (f" (earlier: {', '.join(seen)})" if seen else " (this is the first)"))
            seen.append(step.name)
        return self


Case = ThermoelasticCase | GeometryCase | EtchCase | PlatingCase | SeedLayerCase | FillCase | FlowCase
CASE_KINDS: dict[str, type[BaseModel]] = {"thermoelastic": ThermoelasticCase, "geometry": GeometryCase,
                                          "etch": EtchCase, "plating": PlatingCase, "seed_layer": SeedLayerCase,
                                          "fill": FillCase, "flow": FlowCase}


# -- loading ---------------------------------------------------------------------------
def load_case(path: str | Path, overrides: list[str] | None = None) -> Case:
    path = Path(path)
    raw = read_case_toml(path)
    for item in overrides or []:
        apply_override(raw, item)
    return validate_case(raw, source=str(path))


def read_case_toml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseError(f"{path}: no such case file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(f"{path}: cannot read: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(f"{path}: malformed TOML: {exc}") from None
    return raw


def validate_case(raw: dict, source: str = "<case>") -> Case:
    kind = raw.get("kind")
    if kind is None:
        raise CaseError(f"{source}: kind: missing; expected one of {', '.join(CASE_KINDS)}")
    if kind not in CASE_KINDS:
        raise CaseError(f"{source}: kind: unknown case kind {kind!r}; expected one of {', '.join(CASE_KINDS)}")
    try:
        case = CASE_KINDS[kind].model_validate(raw)
    except ValidationError as exc:
        raise CaseError(f"{source}: {format_validation_error(exc, raw)}") from None
    try:
        cross_check(case)
    except CaseError as exc:
        raise CaseError(f"{source}: {exc}") from None
    return case


def apply_override(raw: dict, item: str) -> None:
    """``--set a.b[0].c=value``: the value is read as a TOML value, else as a string."""
    if "=" not in item:
        raise CaseError(f"--set {item!r}: expected key=value")
    key, value_text = item.split("=", 1)
    key = key.strip()
    try:
        value = tomllib.loads(f"v = {value_text}")["v"]
    except tomllib.TOMLDecodeError:
        value = value_text.strip()
    parts: list[str | int] = []
    for part in key.replace("]", "").split("."):
        name, *indices = part.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) if i.lstrip("-").isdigit() else i for i in indices)
    if not parts:
        raise CaseError(f"--set {item!r}: empty key")
    node: Any = raw
    for i, part in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        try:
            if isinstance(part, int):
                node = node[part]
            else:
                node = node.setdefault(part, [] if isinstance(nxt, int) else {})
        except (IndexError, TypeError, KeyError, AttributeError):
            raise CaseError(f"--set {key}: no such entry in the case") from None
    last = parts[-1]
    try:
        node[last] = value
    except (IndexError, TypeError):
        raise CaseError(f"--set {key}: no such entry in the case") from None


def format_validation_error(exc: ValidationError, raw: dict) -> str:
    """One line: the field path as the user wrote it, and the rule."""
    errors = exc.errors(include_url=False)
    err = errors[0]
    path = _user_path(err["loc"], raw)
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    kind = err["type"]
    if kind == "extra_forbidden":
        msg = "unknown key"
    elif kind == "missing":
        msg = "required but missing"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        # The constraint is checked on the SI value; say so when the input had a unit.
        given = err.get("input")
        msg = msg.replace("Input should be", "must be")
        if isinstance(given, str):
            msg += f" (in SI units; got {given!r})"
    elif kind.startswith("literal_error") or kind == "union_tag_invalid":
        msg = msg.replace("Input should be", "must be")
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    if re.match(r"^[a-z_][\w.\[\]]*: ", msg):  # a model's rule that names its field itself
        return f"{path}.{msg}{more}" if path else f"{msg}{more}"
    return f"{path or '<case>'}: {msg}{more}"


def _user_path(loc: tuple, raw: Any) -> str:
    """Rebuild ``geometry.layers[0].thickness`` from pydantic's location, dropping the
    union tags pydantic inserts (they are not keys of the user's file)."""
    out = ""
    node = raw
    for part in loc:
        if isinstance(part, int) and isinstance(node, list):
            out += f"[{part}]"
            node = node[part] if -len(node) <= part < len(node) else None
        elif isinstance(node, dict) and part in node:
            out += ("." if out else "") + str(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part.startswith(("function-", "tagged-union")):
            continue
        elif isinstance(node, dict) and node.get("type") == part:
            continue  # discriminator tag
        else:
            out += ("." if out else "") + str(part)
            node = None
    return out


# -- cross-checks pydantic cannot express ----------------------------------------------
def check_geometry(geo) -> tuple[list[str], list[str]]:
    """Geometric constraints of the spec, and region/boundary names (which must differ)."""
    try:
        geo.check()
        regions = geo.region_names()
        boundaries = geo.boundary_names()
    except GeometryError as exc:
        raise CaseError(f"{exc.field}: {exc.message}") from None
    clash = sorted(set(regions) & set(boundaries))
    if clash:
        where = _region_field(geo, clash[0])
        raise CaseError(
            f"{where}: {clash[0]!r} is also the name of a boundary of this geometry; "
            "region and boundary names must differ (they share one namespace in the mesh)"
        )
    return regions, boundaries


def cross_check(case: Case) -> None:
    if isinstance(case, FlowCase):
        return  # its steps are checked as cases of their own (solver.flow.check_flow)
    geo = case.geometry
    regions, boundaries = check_geometry(geo)
    if isinstance(case, (GeometryCase, EtchCase, PlatingCase, SeedLayerCase, FillCase)):
        return
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
    if case.validation is not None:
        from .validation import check_benchmark_applies

        problem = check_benchmark_applies(case)
        if problem:
            raise CaseError(f"validation.benchmark: {problem}")


def _region_field(geo, region: str) -> str:
    """The case-file path where a region name was given."""
    for i, layer in enumerate(getattr(geo, "layers", [])):
        if layer.region == region:
            return f"geometry.layers[{i}].region"
    for key in ("core_region", "shell_region"):
        if getattr(geo, key, None) == region:
            return f"geometry.{key}"
    return "geometry"


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


def json_schema() -> dict:
    """One schema for every case kind, selected by ``kind``."""
    from pydantic import TypeAdapter

    adapter = TypeAdapter(Annotated[Union[tuple(CASE_KINDS.values())], Field(discriminator="kind")])
    return adapter.json_schema()


def resolved_case(case: BaseModel) -> dict:
    """The validated case in SI units, with the unit of every converted value by path."""
    from meshes.units import Dimension

    units: dict[str, str] = {}

    def walk(model: BaseModel, prefix: str) -> None:
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)
            path = f"{prefix}{name}"
            dim = _dimension_of(info, Dimension)
            if dim is not None and value is not None:
                units[path] = dim.si_unit
            if isinstance(value, BaseModel):
                walk(value, path + ".")
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, BaseModel):
                        walk(item, f"{path}[{i}].")
            elif isinstance(value, dict):
                for k, item in value.items():
                    if isinstance(item, BaseModel):
                        walk(item, f"{path}.{k}.")

    walk(case, "")
    out = {"case": case.model_dump(mode="json"), "si_units": units}
    if isinstance(case, ThermoelasticCase):
        materials, stress_free = resolve_materials(case)
        out["materials_by_region"] = {r: m.as_dict() for r, m in materials.items()}
        out["stress_free_temperature_K_by_region"] = stress_free
    return out


def _dimension_of(info, Dimension):
    """The Dimension marker of a field, also inside ``Length | None``."""
    import typing

    found = [m for m in info.metadata if isinstance(m, Dimension)]
    for arg in typing.get_args(info.annotation):
        found += [m for m in getattr(arg, "__metadata__", ()) if isinstance(m, Dimension)]
    return found[0] if found else None
