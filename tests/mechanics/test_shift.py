"""Time-temperature shift functions (solver.mechanics.shift): WLF and Arrhenius values
against hand-computed numbers, the rule switch at T_ref, the WLF singularity, and the
reduced-time increment against an independent quadrature.

The resin below is an epoxy mould compound of Tg ~ 120 degC: T_ref = 393.15 K with the
"universal" WLF constants C1 = 17.44, C2 = 51.6 K above and Ea = 250 kJ/mol below. Over a
-40 degC .. 260 degC (reflow) range, log10 a_T runs from +22.8 to -12.7: 35 decades."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from solver.mechanics.shift import R_J_PER_MOL_K, ShiftFunction, reduced_time_increment

T_REF = 393.15
EPOXY = ShiftFunction(T_REF, wlf_C1=17.44, wlf_C2=51.6, arrhenius_activation_J_per_mol=250e3)
WLF_ONLY = ShiftFunction(T_REF, wlf_C1=17.44, wlf_C2=51.6)
ARRHENIUS_ONLY = ShiftFunction(T_REF, arrhenius_activation_J_per_mol=250e3)


def quad_reference(shift, T0, T1, dt):
    """dt / (T1 - T0) * integral of dT / a_T by QUADPACK, independently of the module's
    Gauss-Legendre: the integrand is scaled by its largest value (at the hot end, a_T falling
    with T) so QUADPACK's relative tolerance means something over 35 decades, and T_ref is
    passed as a break point where the slope of log a_T jumps."""
    lo, hi = min(T0, T1), max(T0, T1)
    g = -shift.log10_aT(hi)
    breaks = [shift.T_ref] if lo < shift.T_ref < hi else None
    q, _ = quad(lambda T: 10.0 ** (-shift.log10_aT(T) - g), lo, hi, points=breaks,
                epsabs=0.0, epsrel=1e-13, limit=500)
    return dt * q / (hi - lo) * 10.0**g


# --- a_T ---------------------------------------------------------------------------------


def test_wlf_value_above_t_ref():
    """log10 a_T(T_ref + 50 K) = -17.44 x 50 / (51.6 + 50) = -872 / 101.6 = -8.58267716535433.
    Tolerance 1e-14 relative: one subtraction, one product, one quotient (a few ULPs)."""
    assert EPOXY.log10_aT(T_REF + 50.0) == pytest.approx(-8.58267716535433, rel=1e-14)
    assert WLF_ONLY.log10_aT(T_REF + 50.0) == pytest.approx(-8.58267716535433, rel=1e-14)
    assert EPOXY.aT(T_REF + 50.0) == pytest.approx(10**-8.58267716535433, rel=1e-13)


def test_arrhenius_value_below_t_ref():
    """With T_ref = 400 K, Ea = 100 kJ/mol, T = 350 K: 1/350 - 1/400 = 1/2800, so
    ln a_T = 1e5 / (8.314462618 x 2800) = 4.295441251605097 (a_T = 73.37: slower when
    colder). Tolerance 1e-14 relative (a few ULPs of a handful of operations)."""
    s = ShiftFunction(400.0, arrhenius_activation_J_per_mol=100e3)
    assert math.log(s.aT(350.0)) == pytest.approx(4.295441251605097, rel=1e-14)
    assert s.log10_aT(350.0) == pytest.approx(4.295441251605097 / math.log(10), rel=1e-14)
    assert R_J_PER_MOL_K == 8.314462618


def test_combined_rule_is_wlf_above_and_arrhenius_below():
    """Both given: at and above T_ref the WLF value, below it the Arrhenius value, element
    by element for arrays too (exactly: the same formula is evaluated)."""
    T = np.array([233.15, 300.0, T_REF, 450.0, 533.15])
    got = EPOXY.log10_aT(T)
    assert got[:2].tolist() == ARRHENIUS_ONLY.log10_aT(T[:2]).tolist()
    assert got[2:].tolist() == WLF_ONLY.log10_aT(T[2:]).tolist()
    # -40 degC is 22.8 decades slower, 260 degC 12.7 decades faster than T_ref.
    assert got[0] == pytest.approx(250e3 / (R_J_PER_MOL_K * math.log(10)) * (1 / 233.15 - 1 / T_REF), rel=1e-14)
    assert got[-1] == pytest.approx(-17.44 * 140 / 191.6, rel=1e-14)


def test_continuous_at_t_ref():
    """Both rules give a_T(T_ref) = 1 exactly (log10 a_T = 0, not -0), and a_T is continuous
    across T_ref: 1e-9 K either side, |log10 a_T| <= slope x 1e-9 K with slopes
    C1/C2 = 0.34 /K (WLF) and Ea / (R T_ref^2 ln 10) = 0.084 /K (Arrhenius), so < 1e-9."""
    for s in (EPOXY, WLF_ONLY, ARRHENIUS_ONLY):
        assert s.aT(T_REF) == 1.0
        assert math.copysign(1.0, s.log10_aT(T_REF)) == 1.0
    for T in (T_REF - 1e-9, T_REF + 1e-9):
        assert abs(EPOXY.log10_aT(T)) < 1e-9


def test_wlf_alone_refuses_its_singularity():
    """WLF alone is singular at T_ref - C2 = 341.55 K: at or below it a_T is refused, the
    message naming the temperature; just above it a_T is huge but finite; with Arrhenius
    below T_ref the same temperatures are fine."""
    with pytest.raises(ValueError, match=r"T = 341\.55 K is at or below the WLF singularity"):
        WLF_ONLY.aT(T_REF - 51.6)
    with pytest.raises(ValueError, match=r"T = 300 K"):
        WLF_ONLY.log10_aT(np.array([400.0, 300.0]))
    assert WLF_ONLY.log10_aT(T_REF - 51.0) > 1000  # 10^1000: finite in log, overflows as a_T
    assert np.isfinite(EPOXY.aT(300.0))


@pytest.mark.parametrize("kw, field", [
    (dict(T_ref=0.0, wlf_C1=17.44, wlf_C2=51.6), "T_ref"),
    (dict(T_ref=T_REF, wlf_C1=17.44), "wlf_C1"),
    (dict(T_ref=T_REF, wlf_C2=51.6), "wlf_C2"),
    (dict(T_ref=T_REF, wlf_C1=17.44, wlf_C2=-5.0), "wlf_C2"),
    (dict(T_ref=T_REF, arrhenius_activation_J_per_mol=-1.0), "arrhenius_activation_J_per_mol"),
    (dict(T_ref=T_REF), "ShiftFunction"),
])
def test_bad_constants_are_refused_naming_the_field(kw, field):
    """Invalid constants raise one line starting with the field's name."""
    with pytest.raises(ValueError, match="^" + field + ":"):
        ShiftFunction(**kw)


def test_temperatures_must_be_positive():
    """Absolute temperatures only: 0 K or a Celsius value like -40 is refused."""
    with pytest.raises(ValueError, match="T = -40 K"):
        EPOXY.aT(-40.0)


# --- reduced time ------------------------------------------------------------------------


@pytest.mark.parametrize("shift", [EPOXY, ARRHENIUS_ONLY], ids=["wlf+arrhenius", "arrhenius"])
@pytest.mark.parametrize("T0, T1, dt", [
    (233.15, 398.15, 900.0),  # JEDEC ramp up through T_ref, 28 decades
    (398.15, 233.15, 900.0),  # the same ramp down
    (298.15, 533.15, 240.0),  # to the reflow peak, 35 decades
    (533.15, 233.15, 600.0),  # the whole range down
    (390.0, 396.0, 60.0),     # a short ramp across T_ref
    (393.15, 420.0, 30.0),    # starting exactly at T_ref
    (250.0, 300.0, 100.0),    # glassy side only
])
def test_reduced_time_increment_matches_quadpack(shift, T0, T1, dt):
    """The increment equals dt/(T1-T0) * int dT/a_T computed by QUADPACK (epsrel 1e-13) to
    1e-10 relative, on ramps crossing T_ref where the rule switches and spanning up to 35
    decades of a_T. The module's own error is ~1e-14; 1e-10 leaves room for QUADPACK's."""
    xi = reduced_time_increment(shift, T0, T1, dt)
    assert xi > 0 and math.isfinite(xi)
    assert xi == pytest.approx(quad_reference(shift, T0, T1, dt), rel=1e-10)


def test_reduced_time_increment_wlf_alone_near_its_singularity():
    """WLF alone from 1 K above its singularity to 260 degC: 1/a_T falls to 10^-990 at the
    cold end, a flat-then-steep integrand that still matches QUADPACK to 1e-10 relative."""
    T0, T1 = T_REF - 50.6, 533.15
    assert reduced_time_increment(WLF_ONLY, T0, T1, 100.0) == pytest.approx(
        quad_reference(WLF_ONLY, T0, T1, 100.0), rel=1e-10)


def test_reduced_time_increment_over_140_decades():
    """Arrhenius with Ea = 800 kJ/mol from 200 K to 600 K: log10 a_T runs from +104 to -35,
    beyond what an unscaled integrand could hold in a sum without losing everything below
    1e-16 of the largest term; the scaled integral matches QUADPACK to 1e-10 relative."""
    s = ShiftFunction(400.0, arrhenius_activation_J_per_mol=800e3)
    assert s.log10_aT(200.0) > 100 and s.log10_aT(600.0) < -34
    assert reduced_time_increment(s, 200.0, 600.0, 1.0) == pytest.approx(quad_reference(s, 200.0, 600.0, 1.0),
                                                                         rel=1e-10)


@pytest.mark.parametrize("T", [233.15, T_REF, 450.0])
def test_constant_temperature_is_exactly_dt_over_a_t(T):
    """At constant T the material clock runs at 1/a_T: the increment is dt / a_T(T), equal
    to the last bit (no quadrature is involved). WLF alone only above its singularity."""
    for shift in (EPOXY, ARRHENIUS_ONLY) + ((WLF_ONLY,) if T > T_REF - 51.6 else ()):
        assert reduced_time_increment(shift, T, T, 900.0) == 900.0 / shift.aT(T)


def test_nearly_constant_temperature_tends_to_dt_over_a_t():
    """A ramp of 1e-9 K over the step differs from the isothermal value by at most
    |d ln a_T/dT| x 1e-9 K ~ 0.8/K x 1e-9 = 8e-10 relative: no jump between the two branches."""
    for T in (233.15, T_REF, 450.0):
        assert reduced_time_increment(EPOXY, T, T + 1e-9, 900.0) == pytest.approx(900.0 / EPOXY.aT(T), rel=1e-9)


@pytest.mark.parametrize("T0, T2", [(233.15, 398.15), (533.15, 298.15), (380.0, 400.0)])
@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.93])
def test_reduced_time_is_additive(T0, T2, fraction):
    """xi over [t0, t2] = xi over [t0, t1] + xi over [t1, t2] with T linear throughout, so
    splitting a step never changes the material clock. Tolerance 1e-12 relative: each part
    is exact to ~1e-14, and T(t1) is rounded to ~1e-16 relative, moving xi by far less."""
    dt = 900.0
    T1 = T0 + (T2 - T0) * fraction
    whole = reduced_time_increment(EPOXY, T0, T2, dt)
    parts = reduced_time_increment(EPOXY, T0, T1, fraction * dt) + reduced_time_increment(EPOXY, T1, T2,
                                                                                          (1 - fraction) * dt)
    assert parts == pytest.approx(whole, rel=1e-12)


def test_split_at_t_ref_is_additive():
    """Splitting a ramp exactly at T_ref, where the rule switches, adds up too (1e-12)."""
    T0, T2, dt = 233.15, 398.15, 900.0
    f = (T_REF - T0) / (T2 - T0)
    parts = reduced_time_increment(EPOXY, T0, T_REF, f * dt) + reduced_time_increment(EPOXY, T_REF, T2, (1 - f) * dt)
    assert parts == pytest.approx(reduced_time_increment(EPOXY, T0, T2, dt), rel=1e-12)


def test_zero_and_negative_steps():
    """A zero step adds no reduced time; a negative one is refused naming dt."""
    assert reduced_time_increment(EPOXY, 300.0, 400.0, 0.0) == 0.0
    with pytest.raises(ValueError, match="^dt:"):
        reduced_time_increment(EPOXY, 300.0, 400.0, -1.0)


@pytest.mark.parametrize("T0, T1", [(200.0, 700.0), (449.0, 451.0), (450.0001, 460.0)])
def test_steep_shift_converges_to_its_round_off(T0, T1):
    """A steep resin (C1 = 40, C2 = 10 K: 4 decades per K at T_ref; Ea = 900 kJ/mol: 10^170
    at 200 K) has an integrand known only to ~1e-13 relative; refinement stops at that
    round-off instead of chasing 1e-14 forever, and still matches QUADPACK to 1e-10."""
    s = ShiftFunction(450.0, wlf_C1=40.0, wlf_C2=10.0, arrhenius_activation_J_per_mol=900e3)
    assert reduced_time_increment(s, T0, T1, 900.0) == pytest.approx(quad_reference(s, T0, T1, 900.0), rel=1e-10)
