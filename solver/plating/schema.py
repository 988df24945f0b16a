"""The plating cases: ``plating`` (current distribution in a cell), ``seed_layer`` (the
terminal effect across a wafer) and ``fill`` (a deposit grown at feature scale), with the
electrode and electrolyte tables they share."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from meshes.units import (
    Concentration,
    Conductivity,
    Current,
    CurrentDensity,
    Diffusivity,
    Length,
    Resistivity,
    Temperature,
    Time,
    Voltage,
)
from solver.core.case import CaseBase, LinearSolverSettings, Strict
from solver.core.materials import LIBRARY
from solver.plating.electrochem import Electrode


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

    def electrode(self) -> Electrode:
        """The kinetics in SI as the physics takes them (i0 is given unless kinetics = 'none')."""
        return Electrode(self.kinetics, self.exchange_current_density or 1.0, self.alpha_a, self.alpha_c,
                         self.equilibrium_potential)


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


