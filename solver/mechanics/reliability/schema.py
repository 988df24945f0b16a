"""The ``reliability`` case: inelastic materials by region, a temperature history (thermal
cycles, a reflow profile or a cure schedule), the time stepping, the averaging volumes the
per-cycle results and the fatigue laws read, and the outputs."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, model_validator

from meshes.units import (
    InverseStress,
    Length,
    MolarEnergy,
    Rate,
    Stress,
    Temperature,
    TemperatureDifference,
    Time,
)
from solver.core.case import CaseError, LinearSolverSettings, Strict, check_geometry
from solver.mechanics.schema import MaterialSpec, SolidCase, Supports, check_materials_and_supports

Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=40)]


# -- inelastic materials -----------------------------------------------------------------------
class YieldCurve(Strict):
    temperature: Temperature = Field(gt=0)
    points: list[tuple[float, Stress]] = Field(min_length=1, description="[[plastic strain, yield stress], ...]")

    @model_validator(mode="after")
    def _increasing(self):
        p = [a for a, _ in self.points]
        if p[0] != 0.0 or any(b <= a for a, b in zip(p, p[1:])):
            raise ValueError("points: plastic strains must start at 0 and increase strictly")
        if any(s <= 0 for _, s in self.points):
            raise ValueError("points: yield stresses must be positive")
        return self


class PlasticSpec(Strict):
    """J2 plasticity: ``yield_stress`` with linear ``hardening_modulus`` (and Voce
    saturation), or a ``yield_table`` per temperature; ``kinematic_modulus`` for loops."""

    model: Literal["plastic"]
    set: str | None = Field(None, description="a library set (PLASTIC in solver.mechanics.inelastic.library)")
    yield_stress: Stress | None = Field(None, gt=0)
    hardening_modulus: Stress = Field(0.0, ge=0, description="H: d sigma_y / d p")
    saturation_stress: Stress | None = Field(None, gt=0, description="Voce: yield stress at large plastic strain")
    saturation_rate: float | None = Field(None, gt=0, description="Voce: b in 1 - exp(-b p)")
    yield_table: list[YieldCurve] | None = Field(None, min_length=1)
    kinematic_modulus: Stress = Field(0.0, ge=0, description="Prager kinematic hardening modulus C")

    @model_validator(mode="after")
    def _one_law(self):
        given = [self.set is not None, self.yield_stress is not None, self.yield_table is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of set, yield_stress, yield_table")
        if (self.saturation_stress is None) != (self.saturation_rate is None):
            raise ValueError("Voce hardening needs both saturation_stress and saturation_rate")
        if self.saturation_stress is not None and (self.yield_stress is None
                                                   or self.saturation_stress <= self.yield_stress):
            raise ValueError("saturation_stress must exceed yield_stress")
        if self.yield_table is not None:
            t = [c.temperature for c in self.yield_table]
            if any(b <= a for a, b in zip(t, t[1:])):
                raise ValueError("yield_table: temperatures must increase strictly")
        return self


class AnandSpec(Strict):
    """Anand's 9 constants (the ANSYS/COMSOL form); a library ``set`` or all of them."""

    model: Literal["anand"]
    set: str | None = None
    s0: Stress | None = Field(None, gt=0, description="initial deformation resistance")
    Q_over_R: TemperatureDifference | None = Field(None, gt=0, description="activation energy / gas constant")
    A: Rate | None = Field(None, gt=0, description="pre-exponential factor")
    xi: float | None = Field(None, gt=0, description="stress multiplier")
    m: float | None = Field(None, gt=0, le=1, description="strain-rate sensitivity")
    h0: Stress | None = Field(None, gt=0, description="hardening constant")
    s_hat: Stress | None = Field(None, gt=0, description="coefficient of the saturation resistance")
    n: float | None = Field(None, gt=0, le=1, description="strain-rate sensitivity of the saturation")
    a: float | None = Field(None, gt=1, description="strain-rate sensitivity of hardening (> 1)")
    source: str | None = Field(None, description="where the constants come from (required without a set)")

    constants: ClassVar[tuple[str, ...]] = ("s0", "Q_over_R", "A", "xi", "m", "h0", "s_hat", "n", "a")


class GarofaloSpec(Strict):
    model: Literal["garofalo"]
    set: str | None = None
    C1: Rate | None = Field(None, gt=0)
    C2: InverseStress | None = Field(None, gt=0)
    C3: float | None = Field(None, gt=0)
    activation_energy: MolarEnergy | None = Field(None, gt=0)
    source: str | None = None

    constants: ClassVar[tuple[str, ...]] = ("C1", "C2", "C3", "activation_energy")


class NortonSpec(Strict):
    model: Literal["norton"]
    set: str | None = None
    A: Rate | None = Field(None, gt=0, description="rate at the stress unit")
    n: float | None = Field(None, gt=0)
    activation_energy: MolarEnergy | None = Field(None, ge=0)
    stress_unit: Stress = Field(1e6, gt=0, description="the stress A is quoted at (1 MPa)")
    source: str | None = None

    constants: ClassVar[tuple[str, ...]] = ("A", "n", "activation_energy")


class PronyTerm(Strict):
    weight: float = Field(gt=0, lt=1, description="relative modulus g_i")
    time: Time = Field(gt=0, description="relaxation time tau_i at the reference temperature")


class ViscoelasticSpec(Strict):
    """Generalised Maxwell: relative Prony terms on the material's (glassy) E and nu, and
    time-temperature superposition (WLF above the reference, Arrhenius below)."""

    model: Literal["viscoelastic"]
    set: str | None = None
    shear: list[PronyTerm] | None = Field(None, min_length=1, max_length=20)
    bulk: list[PronyTerm] = Field(default_factory=list, max_length=20)
    reference_temperature: Temperature | None = Field(None, gt=0)
    wlf_C1: float | None = Field(None, gt=0)
    wlf_C2: TemperatureDifference | None = Field(None, gt=0)
    activation_energy: MolarEnergy | None = Field(None, gt=0, description="Arrhenius, below the reference")
    cure_shrinkage: float = Field(0.0, ge=0, lt=0.2, description="volumetric cure shrinkage (fraction)")
    cure_start: Time = Field(0.0, ge=0, description="cure shrinkage grows linearly from here ...")
    cure_end: Time | None = Field(None, gt=0, description="... to here")
    source: str | None = None

    @model_validator(mode="after")
    def _terms(self):
        for name in ("shear", "bulk"):
            terms = getattr(self, name) or []
            if sum(t.weight for t in terms) >= 1.0:
                raise ValueError(f"{name}: the relative moduli must sum to less than 1 (g_inf > 0)")
        if self.cure_shrinkage > 0 and (self.cure_end is None or self.cure_end <= self.cure_start):
            raise ValueError("cure_shrinkage needs cure_end after cure_start")
        return self


InelasticSpec = Annotated[Union[PlasticSpec, AnandSpec, GarofaloSpec, NortonSpec, ViscoelasticSpec],
                          Field(discriminator="model")]


# -- load history and stepping -------------------------------------------------------------------
class CycleSpec(Strict):
    """JEDEC-style cycles: from ``start`` ramp to ``high``; each cycle dwells at high, ramps
    to low, dwells, ramps back to high."""

    low: Temperature = Field(gt=0)
    high: Temperature = Field(gt=0)
    ramp: Time = Field(gt=0)
    dwell: Time = Field(ge=0)
    cycles: int = Field(ge=1, le=1000)
    start: Temperature | None = Field(None, gt=0, description="default: the stress-free temperature")

    @model_validator(mode="after")
    def _order(self):
        if self.high <= self.low:
            raise ValueError("high must be above low")
        return self


class ProfileSpec(Strict):
    """A piecewise-linear history (reflow, cure): [[time, temperature], ...] from time 0;
    ``repeat`` > 1 makes each repetition a cycle."""

    points: list[tuple[Time, Temperature]] = Field(min_length=2, max_length=1000)
    repeat: int = Field(1, ge=1, le=1000)

    @model_validator(mode="after")
    def _times(self):
        if self.points[0][0] != 0.0:
            raise ValueError("points[0]: the history starts at time 0")
        for i in range(1, len(self.points)):
            if self.points[i][0] <= self.points[i - 1][0]:
                raise ValueError(f"points[{i}]: time {self.points[i][0]:g} s is not after the previous "
                                 f"{self.points[i - 1][0]:g} s (a zero-length segment or a time going back)")
        if any(T <= 0 for _, T in self.points):
            raise ValueError("points: temperatures must be above 0 K")
        if self.repeat > 1 and self.points[0][1] != self.points[-1][1]:
            raise ValueError("repeat: a repeated profile must end at its starting temperature")
        return self


class ReliabilityLoad(Strict):
    stress_free_temperature: Temperature = Field(gt=0, description="of materials that set none")
    cycle: CycleSpec | None = None
    profile: ProfileSpec | None = None
    solidify: list[str] = Field(
        default_factory=list, max_length=50,
        description="regions that form at the history's first temperature on the already deformed rest (solder "
                    "solidifying on the package): stress-free in the shape the rest gives them there, not in the "
                    "mesh's shape (their stress_free_temperature is then not used)")

    @model_validator(mode="after")
    def _one(self):
        if (self.cycle is None) == (self.profile is None):
            raise ValueError("give either cycle or profile")
        return self


class Stepping(Strict):
    initial_step: Time = Field(10.0, gt=0)
    max_step: Time = Field(120.0, gt=0)
    min_step: Time = Field(1e-3, gt=0)
    max_temperature_step: TemperatureDifference = Field(5.0, gt=0, description="largest |dT| per step on a ramp")
    target_iterations: int = Field(4, ge=2, le=20, description="grow the step at or below this many Newton iterations")
    max_newton_iterations: int = Field(12, ge=3, le=50)
    stop_when_stable: bool = Field(True, description="stop at a stabilised cycle")
    stable_change: float = Field(0.01, gt=0, lt=1, description="... when dW per cycle changes by less than this "
                                 "in every averaging volume (every inelastic region without any)")

    @model_validator(mode="after")
    def _order(self):
        if not self.min_step <= self.initial_step <= self.max_step:
            raise ValueError("need min_step <= initial_step <= max_step")
        return self


# -- results ---------------------------------------------------------------------------------------
class AveragingVolume(Strict):
    """A layer of ``thickness`` inside ``region`` along its interface with ``interface``
    (a bump/pad or ball/land joint): the volume averages per cycle are taken over it."""

    name: Name
    region: str
    interface: str = Field(description="the region on the other side of the (planar) interface")
    thickness: Length = Field(gt=0)
    crack_length: Length | None = Field(None, gt=0, description="Darveaux: the crack length to failure (default: "
                                        "the joint diameter at the interface)")
    per_joint: bool = Field(False, description="one volume per separate patch of the interface (each ball or "
                                               "bump), named <name>_1, _2, ... from the package centre outward")
    centre: list[Length] | None = Field(None, min_length=2, max_length=3,
                                        description="keep only the part of the layer within radius of this point")
    radius: Length | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _patch(self):
        if (self.centre is None) != (self.radius is None):
            raise ValueError("centre and radius go together (a patch of the layer around a point)")
        return self


class CoffinManson(Strict):
    ductility_coefficient: float = Field(gt=0)
    ductility_exponent: float = Field(lt=0)


class Engelmaier(Strict):
    ductility_coefficient: float = Field(0.325, gt=0)


class Darveaux(Strict):
    set: str | None = None
    K1: float | None = Field(None, gt=0)
    K2: float | None = None
    K3: float | None = Field(None, gt=0)
    K4: float | None = None
    energy_unit: Literal["Pa", "kPa", "MPa", "psi"] = "psi"
    length_unit: Literal["m", "mm", "um", "in"] = "in"
    source: str | None = None

    @model_validator(mode="after")
    def _complete(self):
        given = [getattr(self, k) is not None for k in ("K1", "K2", "K3", "K4")]
        if self.set is None and not all(given):
            raise ValueError("give a set or all of K1, K2, K3, K4 (with energy_unit, length_unit and source)")
        if self.set is None and not self.source:
            raise ValueError("source: say where K1..K4 come from")
        return self


class FatigueSpec(Strict):
    coffin_manson: CoffinManson | None = None
    engelmaier: Engelmaier | None = None
    darveaux: Darveaux | None = None


class Probe(Strict):
    region: str
    point: list[Length] = Field(min_length=2, max_length=3, description="where the hysteresis loop is recorded")


class ReliabilityOutput(Strict):
    fields: bool = Field(True, description="the fields at every cycle end (fields/state.pvd: VTU with region names)")
    picture: bool = True
    probe: Probe | None = None
    curvature_fit_fraction: float = Field(
        1.0, gt=0, le=1, description="fit curvature over this fraction of the bottom surface's half-extent"
    )


class ReliabilityModel(Strict):
    formulation: Literal["3d", "plane_strain", "axisymmetric", "plane_stress"]
    degree: Literal[1, 2] = 2


class ReliabilityCase(SolidCase):
    kind: Literal["reliability"]
    model: ReliabilityModel
    regions: dict[str, str] = Field(description="region name -> material name")
    materials: dict[str, MaterialSpec] = Field(default_factory=dict)
    inelastic: dict[str, InelasticSpec] = Field(default_factory=dict,
                                                description="region name -> inelastic model (elastic if absent)")
    load: ReliabilityLoad
    stepping: Stepping = Stepping()
    supports: Supports = Supports()
    averaging: list[AveragingVolume] = Field(default_factory=list, max_length=200)
    fatigue: FatigueSpec = FatigueSpec()
    solver: LinearSolverSettings = LinearSolverSettings()
    output: ReliabilityOutput = ReliabilityOutput()


def check_reliability(case: ReliabilityCase) -> None:
    """Regions, materials and supports as for a thermo-elastic case; then every inelastic
    region exists and its constants resolve, every averaging volume's regions exist, and
    the fatigue laws have what they read."""
    if case.model.formulation == "plane_stress":
        raise CaseError("model.formulation: inelastic materials are not available in plane stress (the "
                        "out-of-plane strain would be a local unknown of every model); use plane_strain, "
                        "axisymmetric or 3d")
    check_materials_and_supports(case)
    regions, _ = check_geometry(case.geometry, case.mesh.max_cells)
    from solver.mechanics.reliability.materials import point_model

    for region, spec in case.inelastic.items():
        if region not in regions:
            raise CaseError(f"inelastic.{region}: the geometry has no region {region!r} "
                            f"(it has: {', '.join(regions)})")
        point_model(f"inelastic.{region}", spec)  # raises CaseError on missing constants
        if spec.model == "viscoelastic":
            mat = case.materials.get(case.regions[region])
            if mat is not None and mat.E_table is not None:
                raise CaseError(f"inelastic.{region}: a viscoelastic region takes its moduli from the Prony "
                                f"series; remove materials.{case.regions[region]}.E_table")
    for i, region in enumerate(case.load.solidify):
        if region not in regions:
            raise CaseError(f"load.solidify[{i}]: the geometry has no region {region!r} "
                            f"(it has: {', '.join(regions)})")
    if len(set(case.load.solidify)) != len(case.load.solidify):
        raise CaseError("load.solidify: a region is named twice")
    names = set()
    for i, vol in enumerate(case.averaging):
        for field in ("region", "interface"):
            if getattr(vol, field) not in regions:
                raise CaseError(f"averaging[{i}].{field}: the geometry has no region {getattr(vol, field)!r} "
                                f"(it has: {', '.join(regions)})")
        if vol.name in names:
            raise CaseError(f"averaging[{i}].name: {vol.name!r} is used twice")
        names.add(vol.name)
    if any(getattr(case.fatigue, law) is not None for law in ("coffin_manson", "engelmaier", "darveaux")) \
            and not case.averaging:
        raise CaseError("fatigue: a life needs averaging volumes (add [[averaging]] layers at the joints)")
    if case.fatigue.darveaux is not None:
        from solver.mechanics.reliability.materials import darveaux_constants

        darveaux_constants(case.fatigue.darveaux)
    if case.output.probe is not None:
        probe = case.output.probe
        if probe.region not in regions:
            raise CaseError(f"output.probe.region: the geometry has no region {probe.region!r}")
        if len(probe.point) != case.geometry.dimension:
            raise CaseError(f"output.probe.point: give {case.geometry.dimension} coordinates")
