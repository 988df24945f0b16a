"""The ``etch`` case: isotropic etch of the base through the film's holes (process B)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from meshes.units import Concentration, Diffusivity, Length, Time, Velocity
from solver.core.case import CaseBase, Strict
from solver.core.materials import LIBRARY


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


