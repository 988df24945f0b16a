"""From the case's inelastic specs to point models and region laws (pure: no dolfinx)."""

from __future__ import annotations

from solver.core.case import CaseError
from solver.mechanics.inelastic import library
from solver.mechanics.inelastic.model import Elastic, PointModel
from solver.mechanics.inelastic.plasticity import Hardening, J2Plasticity
from solver.mechanics.inelastic.solder import Anand, Garofalo, Norton
from solver.mechanics.inelastic.viscoelastic import Prony


def _from_set(field: str, spec, sets: dict, kind_name: str):
    if spec.set not in sets:
        raise CaseError(f"{field}.set: unknown {kind_name} set {spec.set!r}; library sets: "
                        f"{', '.join(sets) or 'none'}")
    return sets[spec.set]


def _constants(field: str, spec, model_cls, sets: dict):
    """A library set with the case's overrides, or every constant from the case (with its
    source): literature sets scatter too much for defaults."""
    given = {k: getattr(spec, k) for k in spec.constants if getattr(spec, k) is not None}
    if spec.set is not None:
        base = _from_set(field, spec, sets, spec.model)
        values = {k: getattr(base, k) for k in spec.constants}
        values.update(given)
        source = base.source + (" (with case overrides: " + ", ".join(given) + ")" if given else "")
        return values, source
    missing = [k for k in spec.constants if k not in given]
    if missing:
        raise CaseError(f"{field}: {spec.model} needs a library set (set = one of {', '.join(sets)}) or every "
                        f"constant; missing {', '.join(missing)}")
    if not spec.source:
        raise CaseError(f"{field}.source: say where the {spec.model} constants come from (sets in the "
                        "literature scatter by orders of magnitude)")
    return given, spec.source


def point_model(field: str, spec) -> PointModel:
    if spec.model == "plastic":
        if spec.set is not None:
            return _from_set(field, spec, library.PLASTIC, "plastic")
        if spec.yield_table is not None:
            table = tuple((c.temperature, tuple((float(p), float(s)) for p, s in c.points))
                          for c in spec.yield_table)
            hardening = Hardening(table=table)
        else:
            hardening = Hardening(spec.yield_stress, spec.hardening_modulus, spec.saturation_stress,
                                  spec.saturation_rate or 0.0)
        return J2Plasticity(hardening, spec.kinematic_modulus)
    if spec.model == "anand":
        values, source = _constants(field, spec, Anand, library.ANAND)
        return Anand(**values, source=source)
    if spec.model == "garofalo":
        values, source = _constants(field, spec, Garofalo, library.CREEP)
        return Garofalo(**values, source=source)
    if spec.model == "norton":
        values, source = _constants(field, spec, Norton, {})
        return Norton(**values, stress_unit=spec.stress_unit, source=source)
    if spec.model == "viscoelastic":
        return _prony(field, spec)
    raise CaseError(f"{field}.model: unknown model {spec.model!r}")


def _prony(field: str, spec) -> Prony:
    from solver.mechanics.shift import ShiftFunction

    base = None
    if spec.set is not None:
        base = _from_set(field, spec, library.VISCOELASTIC, "viscoelastic")
    shear = tuple((t.weight, t.time) for t in spec.shear) if spec.shear else (base or {}).get("shear")
    if shear is None:
        raise CaseError(f"{field}.shear: a viscoelastic region needs Prony terms in shear (or a set)")
    pick = {k: getattr(spec, k) if getattr(spec, k) is not None else (base or {}).get(k)
            for k in ("reference_temperature", "wlf_C1", "wlf_C2", "activation_energy")}
    shift = None
    if any(pick[k] is not None for k in ("wlf_C1", "wlf_C2", "activation_energy")):
        if pick["reference_temperature"] is None:
            raise CaseError(f"{field}.reference_temperature: the shift function needs its reference")
        if (pick["wlf_C1"] is None) != (pick["wlf_C2"] is None):
            raise CaseError(f"{field}: WLF needs both wlf_C1 and wlf_C2")
        try:
            shift = ShiftFunction(T_ref=pick["reference_temperature"], wlf_C1=pick["wlf_C1"],
                                  wlf_C2=pick["wlf_C2"], arrhenius_activation_J_per_mol=pick["activation_energy"])
        except ValueError as exc:
            raise CaseError(f"{field}: {exc}") from None
    source = spec.source or (base or {}).get("source", "case file")
    return Prony(shear=shear, bulk=tuple((t.weight, t.time) for t in spec.bulk), shift=shift, source=source)


def cure_eigenstrain(spec):
    """Volumetric cure shrinkage as a function of time (negative: the resin shrinks),
    linear from cure_start to cure_end; None without shrinkage."""
    if spec is None or getattr(spec, "cure_shrinkage", 0.0) == 0.0:
        return None
    a, b, total = spec.cure_start, spec.cure_end, spec.cure_shrinkage

    def eigen(t: float) -> float:
        return -total * min(max((t - a) / (b - a), 0.0), 1.0)

    return eigen


def darveaux_constants(spec):
    from solver.mechanics import fatigue

    if spec.set is not None:
        if spec.set not in fatigue.DARVEAUX_SETS:
            raise CaseError(f"fatigue.darveaux.set: unknown set {spec.set!r}; sets: "
                            f"{', '.join(fatigue.DARVEAUX_SETS)}")
        return fatigue.DARVEAUX_SETS[spec.set]
    try:
        return fatigue.DarveauxConstants(spec.K1, spec.K2, spec.K3, spec.K4, spec.energy_unit, spec.length_unit,
                                         spec.source)
    except ValueError as exc:
        raise CaseError(f"fatigue.darveaux: {exc}") from None


def elastic() -> PointModel:
    return Elastic()
