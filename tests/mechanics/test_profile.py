"""Temperature load histories (solver.mechanics.profile): the JEDEC cycle's shape, input
validation, and the stepper's guarantees (corners landed on exactly, max_dt, the
temperature limit, growth and cutback, StepTooSmall, restart state).

Times are sums of a few numbers of order 1e3-1e4 s, whose round-off is ~1e-12 s; where a
test compares computed times with hand-written ones it allows 1e-9 s, far above that and
far below any step a user would take."""

from __future__ import annotations

import json
import re

import pytest

from solver.mechanics.profile import (StepTooSmall, Stepper, TemperatureProfile, from_points,
                                      thermal_cycle)

# JESD22-A104 condition G: -40/125 degC, 15 min ramps and dwells, from room temperature.
T_LOW, T_HIGH, T_ROOM = 233.15, 398.15, 298.15
RAMP = DWELL = 900.0
RATE = (T_HIGH - T_LOW) / RAMP  # 165 K in 900 s
T0 = (T_HIGH - T_ROOM) / RATE  # the initial ramp: 100 K at the cycle's rate, 545.45 s
TIME_TOL = 1e-9


def jedec(cycles=3, **kw):
    return thermal_cycle(T_LOW, T_HIGH, RAMP, DWELL, cycles, T_ROOM, **kw)


def march(stepper, profile, iterations=3):
    """Step through the whole profile, every solve converging in ``iterations``; returns
    the list of times reached, starting at 0."""
    ts = [0.0]
    while ts[-1] < profile.end_time:
        ts.append(stepper.next_step(ts[-1]))
        stepper.converged(iterations)
    return ts


# --- the profile ------------------------------------------------------------------------


def test_jedec_cycle_length_corners_and_temperatures():
    """A -40/125 degC cycle with 15 min ramps and dwells is 4 x 900 = 3600 s long; its
    corners sit at t0 + {0, 900, 1800, 2700, 3600} + 3600 k after an initial ramp of
    t0 = 100 K / (165 K / 900 s) = 545.45 s, with T = 398.15, 398.15, 233.15, 233.15,
    398.15 K there and the mean 315.65 K mid-ramp. Tolerance: 1e-9 s / 1e-9 K, round-off of
    sums of ~1e4 s numbers being ~1e-12."""
    p = jedec()
    expected = [0.0] + [T0 + k * 3600 + o for k in range(3) for o in (0, 900, 1800, 2700)] + [T0 + 3 * 3600]
    assert len(p.corners) == len(expected) == 14
    assert p.corners == pytest.approx(expected, abs=TIME_TOL)
    assert p.end_time == pytest.approx(T0 + 10800, abs=TIME_TOL)
    assert T0 == pytest.approx(545.4545454545, abs=1e-9)
    corner_T = [T_ROOM] + [T_HIGH, T_HIGH, T_LOW, T_LOW] * 3 + [T_HIGH]
    assert [p.temperature(t) for t in p.corners] == pytest.approx(corner_T, abs=1e-9)
    assert p.temperature(T0 + 900 + 450) == pytest.approx(315.65, abs=1e-9)
    assert p.rate(T0 + 900, T0 + 1800) == pytest.approx(-RATE, rel=1e-12)
    for a, b in p.cycle_bounds:
        assert b - a == pytest.approx(3600.0, abs=TIME_TOL)


def test_jedec_cycle_bounds_and_in_cycle():
    """Cycle k spans [t0 + 3600 k, t0 + 3600 (k + 1)], from the start of its high dwell to
    the end of its ramp back up, and each is a closed loop (T equal at both ends); the
    initial ramp belongs to no cycle (-1); a shared boundary belongs to the later cycle and
    the profile's end to the last. The bounds are corners themselves, so equality is exact."""
    p = jedec()
    bounds = p.cycle_bounds
    expected = [(T0 + 3600 * k, T0 + 3600 * (k + 1)) for k in range(3)]
    assert len(bounds) == 3
    assert [x for b in bounds for x in b] == pytest.approx([x for b in expected for x in b], abs=TIME_TOL)
    for a, b in bounds:
        assert a in p.corners and b in p.corners
        assert p.temperature(a) == p.temperature(b) == T_HIGH
    assert bounds[0][1] == bounds[1][0]
    assert [p.in_cycle(t) for t in (0.0, T0 / 2, T0, T0 + 1800, bounds[0][1], T0 + 9000, p.end_time)] \
        == [-1, -1, 0, 0, 1, 2, 2]


def test_start_ramp_rate_sets_the_initial_ramp_only():
    """With start_ramp_rate = 0.5 K/s the 100 K initial ramp takes 200 s; the cycles keep
    their 165 K / 900 s ramps (3600 s cycles). Tolerance as for the corners (1e-9 s)."""
    p = jedec(cycles=1, start_ramp_rate=0.5)
    assert p.corners[1] == pytest.approx(200.0, abs=TIME_TOL)
    [(a, b)] = p.cycle_bounds
    assert (a, b) == pytest.approx((200.0, 3800.0), abs=TIME_TOL)
    assert p.rate(p.corners[2], p.corners[3]) == pytest.approx(-RATE, rel=1e-12)


def test_zero_dwell_gives_a_sawtooth():
    """dwell_s = 0 leaves the dwell points out: 2 corners per cycle, cycle length 1800 s."""
    p = thermal_cycle(T_LOW, T_HIGH, RAMP, 0.0, 2, T_ROOM)
    assert len(p.corners) == 2 + 2 * 2
    assert [b - a for a, b in p.cycle_bounds] == pytest.approx([1800.0, 1800.0], abs=TIME_TOL)


def test_generic_profile_is_one_cycle():
    """A profile from points without repeat is one cycle spanning [0, end]; both ends are
    in it. Exact: the bounds are the first and last point times."""
    p = from_points([(0, 298.15), (600, 423.15), (1200, 298.15)])
    assert p.cycle_bounds == [(0.0, 1200.0)]
    assert p.in_cycle(0.0) == p.in_cycle(1200.0) == 0


def test_repeated_reflow_profile():
    """A reflow profile (298.15 -> 423.15 K preheat at 90 s, soak to 453.15 K at 180 s, peak
    518.15 K at 240 s, back to 298.15 K at 400 s) repeated 3 times has 3 cycles of 400 s
    and 1 + 3 x 4 corners; the peak of the second pass is at 640 s. Times are integers
    summed exactly in binary, so equality is exact."""
    pts = [(0, 298.15), (90, 423.15), (180, 453.15), (240, 518.15), (400, 298.15)]
    p = from_points(pts, repeat=3)
    assert p.cycle_bounds == [(0.0, 400.0), (400.0, 800.0), (800.0, 1200.0)]
    assert len(p.corners) == 13
    assert p.temperature(640.0) == 518.15
    assert p.in_cycle(400.0) == 1


@pytest.mark.parametrize("build, field, words", [
    (lambda: from_points([(0, 300), (600, 350), (900, 400), (900, 420)]), "points[3]",
     "time 900 s is not after the previous 900 s (a zero-length segment)"),
    (lambda: from_points([(0, 300), (600, 350), (500, 400)]), "points[2]", "time runs backwards"),
    (lambda: from_points([(0, 300), (600, -40)]), "points[1]", "temperature -40 K is not > 0"),
    (lambda: from_points([(0, 300)]), "points", "at least 2 points"),
    (lambda: from_points([(10, 300), (600, 400)]), "points[0]", "must be 0"),
    (lambda: from_points([(0, 300), (600, 400)], repeat=2), "points", "last temperature 400 K must equal"),
    (lambda: from_points([(0, 300), (600, 300)], repeat=0), "repeat", ">= 1"),
    (lambda: thermal_cycle(398.15, 233.15, 900, 900, 3, 298.15), "T_high", "must be above T_low"),
    (lambda: thermal_cycle(233.15, 398.15, 0, 900, 3, 298.15), "ramp_s", "> 0 s"),
    (lambda: thermal_cycle(233.15, 398.15, 900, -1, 3, 298.15), "dwell_s", ">= 0 s"),
    (lambda: thermal_cycle(233.15, 398.15, 900, 900, 0, 298.15), "cycles", ">= 1"),
    (lambda: thermal_cycle(233.15, 398.15, 900, 900, 2.5, 298.15), "cycles", "whole number"),
    (lambda: thermal_cycle(233.15, 398.15, 900, 900, 3, 298.15, start_ramp_rate=0), "start_ramp_rate", "> 0"),
    (lambda: thermal_cycle(-40, 125, 900, 900, 3, 298.15), "T_low", "> 0 K"),
    (lambda: TemperatureProfile((0, 1, 2), (300, 310, 300), ((0.5, 2),)), "cycle_spans[0]", "corners"),
])
def test_bad_inputs_raise_one_line_naming_the_field(build, field, words):
    """Invalid input is refused with one line that starts with the offending field (and
    the index of the offending point) and says which rule it breaks."""
    with pytest.raises(ValueError) as err:
        build()
    message = str(err.value)
    assert message.startswith(field + ":"), message
    assert words in message and "\n" not in message


def test_times_outside_the_profile_are_refused():
    """T(t) exists only on [0, end]; asking beyond it is a caller's error, not a hold."""
    p = jedec(cycles=1)
    with pytest.raises(ValueError, match="outside the profile"):
        p.temperature(p.end_time + 1.0)


# --- the stepper ------------------------------------------------------------------------


def test_stepper_lands_exactly_on_every_corner_of_three_cycles():
    """Over 3 JEDEC cycles, every corner (and so every cycle boundary) is a time reached,
    bit for bit: the stepper returns the corner itself rather than t + dt. No step exceeds
    max_dt = 120 s by more than the landing tolerance (1e-9 relative, by design: a step
    within 1e-9 of a milestone lands on it), and none is a sliver (each >= 0.4 initial_dt:
    the remainder rule leaves at least half a step, which may then grow by 1.2)."""
    p = jedec()
    s = Stepper(p, initial_dt=10.0, max_dt=120.0, min_dt=1e-3)
    ts = march(s, p)
    reached = set(ts)
    assert all(c in reached for c in p.corners)
    assert ts[-1] == p.end_time
    steps = [b - a for a, b in zip(ts[:-1], ts[1:])]
    assert max(steps) <= 120.0 * (1 + 1e-9)
    assert max(steps) == pytest.approx(120.0, rel=1e-9)  # it does reach max_dt on 900 s legs
    assert min(steps) >= 0.4 * 10.0


def test_stepper_halves_the_remainder_instead_of_leaving_a_sliver():
    """dt = 40 s towards a corner at 90 s: 40 (50 s remain, < 1.5 dt) -> half of it, 65,
    then land at 90. Towards a corner at 100 s: 60 s remain after 40 (not < 60), so 80,
    then 100. A corner within 1e-9 dt of t + dt is landed on exactly. Exact arithmetic on
    small integers and halves, so equality is exact."""
    def walk(corner):
        s = Stepper(from_points([(0, 300), (corner, 300), (corner + 500, 300)]), 40.0, 40.0, 1.0)
        ts = [0.0]
        while ts[-1] < corner:
            ts.append(s.next_step(ts[-1]))  # no converged(): dt stays 40
        return ts

    assert walk(90.0) == [0.0, 40.0, 65.0, 90.0]
    assert walk(100.0) == [0.0, 40.0, 80.0, 100.0]
    near = 40.0 * (1 + 5e-10)
    assert walk(near) == [0.0, near]


def test_stepper_respects_max_temperature_step_on_ramps_only():
    """With max_temperature_step_K = 2 K on 165 K / 900 s ramps, no step changes T by more
    than 2 K (times 1 + 1e-9, the landing tolerance), so each 165 K ramp takes at least
    83 steps; on dwells the limit does not apply and steps reach max_dt = 120 s."""
    p = jedec(cycles=1)
    s = Stepper(p, initial_dt=10.0, max_dt=120.0, min_dt=1e-3, max_temperature_step_K=2.0)
    ts = march(s, p, iterations=1)
    dTs = [abs(p.temperature(b) - p.temperature(a)) for a, b in zip(ts[:-1], ts[1:])]
    assert max(dTs) <= 2.0 * (1 + 1e-9)
    down = [t for t in ts if p.corners[2] < t <= p.corners[3]]
    assert len(down) >= 83
    dwell = [b - a for a, b in zip(ts[:-1], ts[1:]) if p.corners[1] <= a and b <= p.corners[2]]
    assert max(dwell) == pytest.approx(120.0, rel=1e-9)


def test_stepper_grows_keeps_and_cuts_on_iterations():
    """target_iterations = 4: <= 4 iterations grow dt by 1.2 (10 -> 12), 5..8 keep it,
    > 8 cut it by 0.5 (12 -> 6); growth stops at max_dt. Tolerance 1e-12 relative: one or
    two float multiplications."""
    p = from_points([(0, 300), (1e5, 300)])
    s = Stepper(p, initial_dt=10.0, max_dt=100.0, min_dt=0.1)
    t = s.next_step(0.0)
    assert t == 10.0
    s.converged(4)
    assert s.dt == pytest.approx(12.0, rel=1e-12)
    t = s.next_step(t)
    s.converged(8)
    assert s.dt == pytest.approx(12.0, rel=1e-12)
    t = s.next_step(t)
    s.converged(9)
    assert s.dt == pytest.approx(6.0, rel=1e-12)
    for _ in range(40):
        t = s.next_step(t)
        s.converged(1)
    assert s.dt == 100.0


def test_failed_steps_cut_back_then_raise_step_too_small():
    """Each failure halves the attempted step, so the retry is shorter: 10, 5, 2.5, 1.25;
    the fourth failure would need 0.625 s < min_dt = 1 s and raises StepTooSmall with the
    time and dt in its message. Halving is exact in binary, so equality is exact."""
    p = from_points([(0, 300), (1000, 400)])
    s = Stepper(p, initial_dt=10.0, max_dt=100.0, min_dt=1.0)
    tried = []
    with pytest.raises(StepTooSmall) as err:
        for _ in range(10):
            tried.append(s.next_step(0.0))
            s.failed()
    assert tried == [10.0, 5.0, 2.5, 1.25]
    assert (err.value.t, err.value.dt) == (0.0, 0.625)
    assert "t = 0 s" in str(err.value) and "0.625 s" in str(err.value) and "min_dt 1 s" in str(err.value)


def test_failure_cuts_the_step_actually_tried():
    """A step shortened to 5 s by a corner that fails is retried at 2.5 s, not at half the
    nominal 50 s (which the corner would shorten to the same 5 s again)."""
    p = from_points([(0, 300), (5, 300), (1000, 400)])
    s = Stepper(p, initial_dt=50.0, max_dt=100.0, min_dt=0.1)
    assert s.next_step(0.0) == 5.0
    s.failed()
    assert s.next_step(0.0) == 2.5


def test_dt_restarts_at_initial_dt_after_a_load_reversal():
    """With dt_at_corner_reset, the step after a kink (dwell -> ramp, ramp -> dwell) is
    initial_dt = 10 s again, however far dt had grown; without it the step after continues
    at the grown dt. Both from exact corner times, so the step lengths compare to 1e-9 s."""
    p = jedec(cycles=1)
    for reset, expect_small in ((True, True), (False, False)):
        s = Stepper(p, initial_dt=10.0, max_dt=120.0, min_dt=1e-3, dt_at_corner_reset=reset)
        ts = march(s, p, iterations=1)
        for corner in p.corners[1:-1]:
            i = ts.index(corner)
            after = ts[i + 1] - ts[i]
            assert (after == pytest.approx(10.0, abs=TIME_TOL)) == expect_small


def test_extra_milestones_are_landed_on():
    """Output times given as milestones are reached exactly, like corners."""
    p = jedec(cycles=1)
    s = Stepper(p, initial_dt=10.0, max_dt=120.0, min_dt=1e-3, milestones=[1000.0, 2345.6])
    ts = march(s, p)
    assert 1000.0 in ts and 2345.6 in ts


def test_state_round_trip_resumes_identically():
    """A stepper restored (through JSON) from another's state() continues with the same
    times, bit for bit, under the same sequence of iteration counts and failures: the
    state is complete and the controller deterministic."""
    p = jedec(cycles=2)
    # Two cuts (a failure, 9 iterations) against nine growths: dt wanders but does not decay.
    script = [(2, True), (5, True), (9, True), (3, True), (0, False), (3, True), (1, True), (4, True), (2, True),
              (3, True), (4, True), (1, True)]

    def run(stepper, t, n, offset=0):
        ts = []
        for k in range(n):
            if t >= p.end_time:
                break
            its, ok = script[(k + offset) % len(script)]
            t1 = stepper.next_step(t)
            ts.append(t1)
            if ok:
                stepper.converged(its)
                t = t1
            else:
                stepper.failed()
        return t, ts

    options = dict(initial_dt=10.0, max_dt=200.0, min_dt=1e-3, max_temperature_step_K=5.0, dt_at_corner_reset=True)
    a = Stepper(p, **options)
    t, _ = run(a, 0.0, 37)
    saved = json.loads(json.dumps(a.state()))
    assert saved["dt"] != 10.0 and saved["rejected"] > 0  # mid-run, not a fresh state
    b = Stepper(p, **options)
    b.restore(saved)
    assert b.state() == a.state()
    end_a, ta = run(a, t, 10**5, offset=37)
    end_b, tb = run(b, t, 10**5, offset=37)
    assert ta == tb and end_a == end_b == p.end_time
    assert sum(c in ta for c in p.corners) >= 8  # the resumed part crosses corners and resets


@pytest.mark.parametrize("kw, field", [
    (dict(initial_dt=200.0, max_dt=100.0, min_dt=1.0), "initial_dt"),
    (dict(initial_dt=10.0, max_dt=100.0, min_dt=0.0), "min_dt"),
    (dict(initial_dt=10.0, max_dt=100.0, min_dt=1.0, cutback=1.0), "cutback"),
    (dict(initial_dt=10.0, max_dt=100.0, min_dt=1.0, growth=0.9), "growth"),
    (dict(initial_dt=10.0, max_dt=100.0, min_dt=1.0, max_temperature_step_K=0.0), "max_temperature_step_K"),
    (dict(initial_dt=10.0, max_dt=100.0, min_dt=1.0, milestones=[1e9]), "milestones[0]"),
])
def test_stepper_refuses_bad_options(kw, field):
    """Stepper options are checked up front, the message naming the option."""
    with pytest.raises(ValueError, match="^" + re.escape(field) + ":"):
        Stepper(jedec(cycles=1), **kw)


def test_next_step_at_the_end_is_an_error():
    """A profile is done at its end: asking for a step from there is a caller's bug."""
    p = jedec(cycles=1)
    with pytest.raises(ValueError, match="done at its end"):
        Stepper(p, 10.0, 100.0, 1.0).next_step(p.end_time)
