"""Validation benchmarks: what to measure on a solution and the closed-form value it must
match. A case opts in with ``[validation] benchmark = "..."``; its summary then carries
``reference`` with the closed-form value of every compared key.

Each benchmark states what it needs of the case (``schema.check_benchmark_applies``) so
that a misconfigured validation case fails as invalid input, not as a wrong number."""

from __future__ import annotations

import numpy as np
import ufl

from solver.core.case import CaseError
from solver.mechanics import analytic
from solver.mechanics.results import region_mean, remove_rigid_motion


def evaluate(case, sol) -> tuple[dict[str, float], dict[str, float]]:
    """(measured results, closed-form reference) for the case's benchmark."""
    name = case.validation.benchmark
    return _BENCHMARKS[name](case, sol)


def _mpa(x: float) -> float:
    return float(x) / 1e6


def _free_expansion(case, sol):
    mats = sol.materials
    alphas = {m.cte for m in mats.values()}
    temps = set(sol.stress_free.values())
    if len(alphas) != 1 or len(temps) != 1:
        raise CaseError(
            "validation.benchmark: free_expansion needs one CTE and one stress-free temperature for all regions"
        )
    alpha = alphas.pop()
    dT = sol.temperature - temps.pop()
    return (
        {
            "max_von_mises_MPa": _mpa(max(s["max_von_mises"] for s in sol.region_stats.values())),
            "max_displacement_deviation_um": 1e6 * _rigid_deviation(sol, alpha * dT),
        },
        {"max_von_mises_MPa": 0.0, "max_displacement_deviation_um": 0.0},
    )


def _rigid_deviation(sol, strain: float) -> float:
    """max |u - strain * x - rigid motion|: a free body with equal CTE expands uniformly
    whatever its supports. The rigid motion left by the supports was removed already."""
    import dolfinx.fem as fem

    u = fem.Function(sol.u.function_space)
    u.x.array[:] = sol.u.x.array
    modes = ["ty"] if sol.formulation == "axisymmetric" else (
        ["tx", "ty", "rz"] if sol.domain.gdim == 2 else ["tx", "ty", "tz", "rx", "ry", "rz"])
    # Symmetry planes pin some modes; fitting all of them is harmless (their
    # coefficients come out zero up to round-off).
    return remove_rigid_motion(u, modes, strain)


def _layers(case, sol):
    bottom, top = (layer.region for layer in case.geometry.layers)
    mb, mt = sol.materials[bottom], sol.materials[top]
    tb, tt = (layer.thickness for layer in case.geometry.layers)
    dTb = sol.temperature - sol.stress_free[bottom]
    dTt = sol.temperature - sol.stress_free[top]
    if not np.isclose(dTb, dTt, rtol=1e-12, atol=1e-12):
        raise CaseError("validation.benchmark: the closed form assumes one stress-free temperature for both layers")
    return (bottom, mb, tb), (top, mt, tt), dTb


def _timoshenko_bimetal(case, sol):
    (_, m1, t1), (_, m2, t2), dT = _layers(case, sol)
    k = analytic.timoshenko_curvature(m1.E, m2.E, t1, t2, m1.cte, m2.cte, dT)
    return {"curvature_1_per_m": sol.surface.curvature}, {"curvature_1_per_m": k}


def _film_on_wafer(case, sol):
    (_, ms, hs), (film, mf, hf), dT = _layers(case, sol)
    Ms, Mf = ms.biaxial_modulus, mf.biaxial_modulus
    k_ref = analytic.timoshenko_curvature(Ms, Mf, hs, hf, ms.cte, mf.cte, dT)
    k_stoney = analytic.stoney_curvature(Ms, hs, Mf, hf, ms.cte, mf.cte, dT)
    # Film stress away from the free edge (inside the curvature-fit radius), radial = hoop.
    x = ufl.SpatialCoordinate(sol.domain.mesh)
    R = case.output.curvature_fit_fraction * case.geometry.length
    inside = ufl.conditional(ufl.le(x[0], R), 1.0, 0.0)
    s = sol.forms.sigma(sol.u)
    film_stress = region_mean(sol.domain, s[0, 0] * inside, film, sol.forms.weight) / region_mean(
        sol.domain, inside, film, sol.forms.weight
    )
    ref_stress = analytic.layer_mean_stress([Ms, Mf], [hs, hf], [ms.cte, mf.cte], dT, layer=1)
    return (
        {
            "curvature_1_per_m": sol.surface.curvature,
            "stoney_ratio": sol.surface.curvature / k_stoney,
            "film_stress_MPa": _mpa(film_stress),
        },
        {
            "curvature_1_per_m": k_ref,
            "stoney_ratio": k_ref / k_stoney,
            "film_stress_MPa": _mpa(ref_stress),
        },
    )


def _core_shell_materials(case, sol):
    geo = case.geometry
    m1, m2 = sol.materials[geo.core_region], sol.materials[geo.shell_region]
    dT1 = sol.temperature - sol.stress_free[geo.core_region]
    dT2 = sol.temperature - sol.stress_free[geo.shell_region]
    if not np.isclose(dT1, dT2, rtol=1e-12, atol=1e-12):
        raise CaseError("validation.benchmark: the closed form assumes one stress-free temperature for core and shell")
    return m1, m2, dT1


def _lame_cylinder(case, sol):
    geo = case.geometry
    m1, m2, dT = _core_shell_materials(case, sol)
    a, b = geo.core_radius, geo.outer_radius
    p = analytic.lame_cylinder_pressure(m1.E, m1.nu, m1.cte, m2.E, m2.nu, m2.cte, a, b, dT)
    s = sol.forms.sigma(sol.u)
    w = sol.forms.weight
    p_h = -0.5 * region_mean(sol.domain, s[0, 0] + s[1, 1], geo.core_region, w)
    x = ufl.SpatialCoordinate(sol.domain.mesh)
    r2 = x[0] ** 2 + x[1] ** 2
    hoop = (s[0, 0] * x[1] ** 2 - 2 * s[0, 1] * x[0] * x[1] + s[1, 1] * x[0] ** 2) / r2
    hoop_h = region_mean(sol.domain, hoop, geo.shell_region, w)
    return (
        {"interface_pressure_MPa": _mpa(p_h), "shell_mean_hoop_stress_MPa": _mpa(hoop_h)},
        {"interface_pressure_MPa": _mpa(p), "shell_mean_hoop_stress_MPa": _mpa(analytic.lame_tube_mean_hoop(p, a, b))},
    )


def _sphere_in_shell(case, sol):
    geo = case.geometry
    m1, m2, dT = _core_shell_materials(case, sol)
    p = analytic.sphere_shell_pressure(m1.E, m1.nu, m1.cte, m2.E, m2.nu, m2.cte, geo.core_radius,
                                       geo.outer_radius, dT)
    s = sol.forms.sigma(sol.u)
    p_h = -region_mean(sol.domain, ufl.tr(s) / 3, geo.core_region, sol.forms.weight)
    return {"interface_pressure_MPa": _mpa(p_h)}, {"interface_pressure_MPa": _mpa(p)}


_BENCHMARKS = {
    "free_expansion": _free_expansion,
    "timoshenko_bimetal": _timoshenko_bimetal,
    "film_on_wafer": _film_on_wafer,
    "lame_cylinder": _lame_cylinder,
    "sphere_in_shell": _sphere_in_shell,
}
