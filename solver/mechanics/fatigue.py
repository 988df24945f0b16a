"""Fatigue life of solder joints and bumps under thermal cycling: small pure functions of
per-joint numbers that an inelastic (creep / visco-plastic) stress solution provides.

SI at the interface: strain ranges are dimensionless, energy densities in Pa (= J/m^3),
lengths in m, temperatures in K, cycling frequency in cycles per day. Literature constants
keep the units they were published in and are converted exactly where they are used.
Every function accepts scalars or numpy arrays (one value per joint) and returns a float for
scalar input.

Laws
----
Coffin-Manson (Manson, NACA TN 2933, 1953; Coffin, Trans. ASME 76, 1954), with the inelastic
strain range d_eps, fatigue ductility coefficient eps_f' and exponent c < 0:

    d_eps / 2 = eps_f' (2 N_f)^c   <=>   N_f = 1/2 (d_eps / (2 eps_f'))^(1/c)

Engelmaier (W. Engelmaier, "Fatigue life of leadless chip carrier solder joints during
power cycling", IEEE Trans. CHMT 6(3), 1983, 232-237; carried into IPC-SM-785 and
IPC-D-279): the same power law in the cyclic shear strain range d_gamma, for eutectic and
60/40 SnPb, median life (50 % failed)

    N_f(50%) = 1/2 (d_gamma / (2 eps_f'))^(1/c),   eps_f' = 0.325,
    c = -0.442 - 6e-4 T_sj + 1.74e-2 ln(1 + f),

T_sj the mean cyclic solder-joint temperature in degC and f the cycling frequency in
cycles/day (Engelmaier's calibration: 1 <= f <= 1000). This is the 1983 frequency form; the
later dwell-time form replaces ln(1 + f) by ln(1 + 360 / t_D) and is not implemented here.

Darveaux (R. Darveaux, "Effect of simulation methodology on solder joint crack growth
correlation", Proc. 50th ECTC, 2000): with dW the inelastic (visco-plastic) strain energy
density per stabilised cycle, volume-averaged over a thin layer of elements at the
cracking interface,

    N_0 = K1 dW^K2               (cycles to crack initiation)
    da/dN = K3 dW^K4             (crack growth rate)
    N = N_0 + a / (da/dN)        (characteristic life; a = crack length to failure, the
                                   joint diameter at that interface)

The constants K1..K4 depend on the element layer thickness the averaging used; they only
apply to a simulation that averages the same way.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

# Exact by definition: 1 lbf = 0.45359237 kg x 9.80665 m/s^2 and 1 in = 0.0254 m.
PA_PER_PSI = 0.45359237 * 9.80665 / 0.0254**2  # 6894.757293168361
M_PER_INCH = 0.0254

PA_PER_ENERGY_UNIT = {"Pa": 1.0, "kPa": 1e3, "MPa": 1e6, "psi": PA_PER_PSI}
M_PER_LENGTH_UNIT = {"m": 1.0, "mm": 1e-3, "um": 1e-6, "in": M_PER_INCH}

ENGELMAIER_DUCTILITY_COEFFICIENT = 0.325  # eps_f' for eutectic / 60-40 SnPb (Engelmaier 1983)

# Below this an "absolute" temperature is far more likely a degC value passed by mistake:
# -73 degC is colder than any standard solder thermal-cycling profile (JEDEC's lowest is -65).
_LOWEST_PLAUSIBLE_JOINT_TEMPERATURE_K = 200.0

Life = float | np.ndarray


def _values(name: str, value: ArrayLike) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (got {value!r})")
    return arr


def _positive(name: str, value: ArrayLike) -> np.ndarray:
    arr = _values(name, value)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0 (got {value!r})")
    return arr


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _result(arr: np.ndarray) -> Life:
    return float(arr) if arr.ndim == 0 else arr


def coffin_manson_life(strain_range: ArrayLike, ductility_coefficient: ArrayLike,
                       ductility_exponent: ArrayLike) -> Life:
    """Cycles to failure N_f = 1/2 (d_eps / (2 eps_f'))^(1/c) for the inelastic strain
    range ``strain_range`` (> 0), fatigue ductility coefficient eps_f' (> 0) and exponent
    c (< 0). Pass the range of the same strain measure eps_f' was fitted to (uniaxial or
    von Mises equivalent for eps_f'; engineering shear strain for gamma_f')."""
    d = _positive("strain_range", strain_range)
    ef = _positive("ductility_coefficient", ductility_coefficient)
    c = _values("ductility_exponent", ductility_exponent)
    if np.any(c >= 0):
        raise ValueError(f"ductility_exponent must be < 0 (got {ductility_exponent!r})")
    return _result(0.5 * (d / (2.0 * ef)) ** (1.0 / c))


def shear_strain_range(equivalent_strain_range: ArrayLike) -> Life:
    """Engineering shear strain range d_gamma = sqrt(3) d_eps_eq carrying the same von Mises
    equivalent (inelastic) strain range d_eps_eq (>= 0). In pure shear the von Mises
    equivalent strain sqrt(2/3 e:e) of an incompressible (inelastic) strain is
    gamma / sqrt(3); Engelmaier's law is written in d_gamma, an FE solution gives d_eps_eq."""
    d = _values("equivalent_strain_range", equivalent_strain_range)
    if np.any(d < 0):
        raise ValueError(f"equivalent_strain_range must be >= 0 (got {equivalent_strain_range!r})")
    return _result(math.sqrt(3.0) * d)


def engelmaier_exponent(mean_temperature_K: ArrayLike, cycles_per_day: ArrayLike) -> Life:
    """Engelmaier's fatigue ductility exponent (IEEE CHMT 6(3) 1983; IPC-SM-785)
    c = -0.442 - 6e-4 T_sj + 1.74e-2 ln(1 + f), T_sj the mean cyclic solder-joint temperature
    in degC (given here in K), f the cycling frequency in cycles/day (calibrated for
    1 <= f <= 1000). Hotter and slower cycles make c more negative: more creep per cycle."""
    T = _positive("mean_temperature_K", mean_temperature_K)
    if np.any(T < _LOWEST_PLAUSIBLE_JOINT_TEMPERATURE_K):
        raise ValueError(f"mean_temperature_K must be an absolute temperature >= "
                         f"{_LOWEST_PLAUSIBLE_JOINT_TEMPERATURE_K:g} K (got {mean_temperature_K!r}; degC given?)")
    f = _positive("cycles_per_day", cycles_per_day)
    T_sj_degC = T - 273.15
    return _result(-0.442 - 6e-4 * T_sj_degC + 1.74e-2 * np.log1p(f))


def engelmaier_life(shear_strain_range: ArrayLike, mean_temperature_K: ArrayLike, cycles_per_day: ArrayLike,
                    ductility_coefficient: ArrayLike = ENGELMAIER_DUCTILITY_COEFFICIENT) -> Life:
    """Median cycles to failure N_f(50%) = 1/2 (d_gamma / (2 eps_f'))^(1/c) with Engelmaier's
    exponent c(T_sj, f) (see ``engelmaier_exponent``) and eps_f' = 0.325 for eutectic / 60-40
    SnPb (Engelmaier 1983; IPC-SM-785). ``shear_strain_range`` is the cyclic engineering shear
    strain range d_gamma (> 0); from a von Mises equivalent range use ``shear_strain_range()``."""
    gamma = _positive("shear_strain_range", shear_strain_range)
    c = np.asarray(engelmaier_exponent(mean_temperature_K, cycles_per_day))
    if np.any(c >= 0):  # only for frequencies far beyond the calibration (ln(1 + f) > 25)
        raise ValueError(f"cycles_per_day must keep Engelmaier's exponent < 0 (got {cycles_per_day!r})")
    return coffin_manson_life(gamma, ductility_coefficient, c)


@dataclass(frozen=True)
class DarveauxConstants:
    """Darveaux's crack initiation and growth constants in the units they were published in:
    K1 in cycles / energy_unit^K2, K3 in length_unit / cycle / energy_unit^K4, with dW in
    ``energy_unit`` (one of Pa, kPa, MPa, psi) and crack length in ``length_unit`` (one of
    m, mm, um, in). ``source`` says where the numbers come from."""

    K1: float
    K2: float
    K3: float
    K4: float
    energy_unit: str
    length_unit: str
    source: str

    def __post_init__(self):
        if self.energy_unit not in PA_PER_ENERGY_UNIT:
            raise ValueError(f"energy_unit must be one of {sorted(PA_PER_ENERGY_UNIT)} (got {self.energy_unit!r})")
        if self.length_unit not in M_PER_LENGTH_UNIT:
            raise ValueError(f"length_unit must be one of {sorted(M_PER_LENGTH_UNIT)} (got {self.length_unit!r})")
        for name in ("K1", "K3"):
            value = getattr(self, name)
            if not (_is_number(value) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0 (got {value!r})")
        for name in ("K2", "K4"):
            value = getattr(self, name)
            if not (_is_number(value) and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number (got {value!r})")
        if not (isinstance(self.source, str) and self.source.strip()):
            raise ValueError("source must say where the constants come from (got an empty string)")

    def in_units(self, energy_unit: str, length_unit: str) -> DarveauxConstants:
        """The same law with its constants restated in other units (same source)."""
        if energy_unit not in PA_PER_ENERGY_UNIT:
            raise ValueError(f"energy_unit must be one of {sorted(PA_PER_ENERGY_UNIT)} (got {energy_unit!r})")
        if length_unit not in M_PER_LENGTH_UNIT:
            raise ValueError(f"length_unit must be one of {sorted(M_PER_LENGTH_UNIT)} (got {length_unit!r})")
        # K1 dW_old^K2 = K1 (s_new / s_old)^K2 dW_new^K2 with s the unit's size in Pa.
        energy_ratio = PA_PER_ENERGY_UNIT[energy_unit] / PA_PER_ENERGY_UNIT[self.energy_unit]
        length_ratio = M_PER_LENGTH_UNIT[self.length_unit] / M_PER_LENGTH_UNIT[length_unit]
        return replace(self, K1=self.K1 * energy_ratio**self.K2,
                       K3=self.K3 * energy_ratio**self.K4 * length_ratio,
                       energy_unit=energy_unit, length_unit=length_unit)


def darveaux_life(energy_density_Pa: ArrayLike, crack_length_m: ArrayLike,
                  constants: DarveauxConstants) -> dict[str, Life]:
    """Darveaux (ECTC 2000) characteristic life from the volume-averaged inelastic strain
    energy density per cycle dW (Pa, > 0) over the interface layer and the crack length to
    failure a (m, > 0; the joint diameter at that interface):
    N_0 = K1 dW^K2, da/dN = K3 dW^K4, N = N_0 + a / (da/dN).

    Returns ``initiation_cycles`` (N_0), ``growth_rate_m_per_cycle`` (da/dN) and
    ``life_cycles`` (N)."""
    if not isinstance(constants, DarveauxConstants):
        raise ValueError(f"constants must be DarveauxConstants (got {type(constants).__name__})")
    dW = _positive("energy_density_Pa", energy_density_Pa) / PA_PER_ENERGY_UNIT[constants.energy_unit]
    a = _positive("crack_length_m", crack_length_m)
    n0 = constants.K1 * dW**constants.K2
    rate = constants.K3 * dW**constants.K4 * M_PER_LENGTH_UNIT[constants.length_unit]
    return {"initiation_cycles": _result(n0), "growth_rate_m_per_cycle": _result(rate),
            "life_cycles": _result(n0 + a / rate)}


# Only sets whose numbers are cited; a set whose numbers could not be checked against the
# publication says so in its source. The one below is the SnPb set usually quoted from
# Darveaux (2000) for an interface layer about 25 um (1 mil) thick; the paper itself was not
# at hand, and the one independent copy found (an open-source IGBT reliability tool) gives
# the same four numbers without units. Check them against the paper before relying on them.
DARVEAUX_SETS: dict[str, DarveauxConstants] = {
    "SnPb_example": DarveauxConstants(K1=22400.0, K2=-1.52, K3=5.86e-7, K4=0.98, energy_unit="psi",
                                      length_unit="in", source="example values, unverified"),
}


_COFFIN_MANSON_KEYS = {"ductility_coefficient", "ductility_exponent"}
_ENGELMAIER_KEYS = {"ductility_coefficient"}


def _law_constants(law: str, given: Mapping, allowed: set[str], required: set[str]) -> dict:
    if not isinstance(given, Mapping):
        raise ValueError(f"{law} constants must be a mapping with keys {sorted(allowed)} (got {type(given).__name__})")
    unknown, missing = set(given) - allowed, required - set(given)
    if unknown or missing:
        raise ValueError(f"{law} constants take keys {sorted(allowed)}, {sorted(required)} required "
                         f"(unknown: {sorted(unknown)}, missing: {sorted(missing)})")
    return dict(given)


def _needed(law: str, name: str, value):
    if value is None:
        raise ValueError(f"{name} is required for the {law} law")
    return value


def life_under_laws(inelastic_strain_range: ArrayLike | None = None, energy_density_Pa: ArrayLike | None = None,
                    crack_length_m: ArrayLike | None = None, mean_temperature_K: ArrayLike | None = None,
                    cycles_per_day: ArrayLike | None = None, *, coffin_manson: Mapping | None = None,
                    engelmaier: Mapping | None = None, darveaux: DarveauxConstants | None = None) -> dict[str, Life]:
    """Cycles to failure of the same joint(s) under every law whose constants are given:

    - ``coffin_manson={"ductility_coefficient": eps_f', "ductility_exponent": c}``: Coffin-Manson
      in the inelastic (von Mises equivalent) strain range;
    - ``engelmaier={}`` or ``{"ductility_coefficient": eps_f'}`` (default 0.325): Engelmaier in
      the shear strain range sqrt(3) x the inelastic equivalent range, at the mean joint
      temperature and cycling frequency;
    - ``darveaux=DarveauxConstants(...)``: Darveaux's characteristic life from the energy
      density per cycle and the crack length.

    Keys of the result: ``coffin_manson``, ``engelmaier``, ``darveaux``, each present only when
    its constants are. A law's per-joint inputs are required only when the law is asked for."""
    lives: dict[str, Life] = {}
    if coffin_manson is not None:
        k = _law_constants("coffin_manson", coffin_manson, _COFFIN_MANSON_KEYS, _COFFIN_MANSON_KEYS)
        lives["coffin_manson"] = coffin_manson_life(
            _needed("coffin_manson", "inelastic_strain_range", inelastic_strain_range), **k)
    if engelmaier is not None:
        k = _law_constants("engelmaier", engelmaier, _ENGELMAIER_KEYS, set())
        gamma = shear_strain_range(_needed("engelmaier", "inelastic_strain_range", inelastic_strain_range))
        lives["engelmaier"] = engelmaier_life(
            gamma, _needed("engelmaier", "mean_temperature_K", mean_temperature_K),
            _needed("engelmaier", "cycles_per_day", cycles_per_day), **k)
    if darveaux is not None:
        lives["darveaux"] = darveaux_life(_needed("darveaux", "energy_density_Pa", energy_density_Pa),
                                          _needed("darveaux", "crack_length_m", crack_length_m),
                                          darveaux)["life_cycles"]
    return lives
