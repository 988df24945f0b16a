"""Temperature load histories for thermal cycling, reflow and cure, and the time stepper
that follows them.

Conventions and units: time in s from the start of the history (which is t = 0);
temperature in K (absolute, > 0); rates in K/s. A profile is piecewise linear between its
points; every point time is a *corner*. A *cycle* is a closed span of time [start, end]
between two corners; the spans are listed in ``cycle_bounds`` and do not overlap. A generic
profile is a single cycle spanning the whole history; ``thermal_cycle`` and repeated
``from_points`` profiles have one span per repetition.

Pure numpy: no dolfinx, PETSc or MPI here, so it runs identically on every rank and in
tests without a mesh.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# A step within this fraction of the remaining distance lands on the milestone: it keeps
# float round-off (t + dt = 899.9999999999999) from leaving a sub-ULP sliver.
_LAND_TOL = 1e-9
# Closer than this to a milestone (in steps), the remaining distance is split in two, so
# the step after never becomes a sliver.
_SPLIT_BELOW = 1.5


@dataclass(frozen=True)
class TemperatureProfile:
    """Piecewise-linear T(t) through (``times_s[i]``, ``temperatures_K[i]``).

    ``cycle_spans``: (start, end) pairs of corner times, increasing and non-overlapping;
    empty means the whole profile is one cycle."""

    times_s: tuple[float, ...]
    temperatures_K: tuple[float, ...]
    cycle_spans: tuple[tuple[float, float], ...] = ()
    _t: np.ndarray = field(init=False, repr=False, compare=False)
    _T: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        times = tuple(float(t) for t in self.times_s)
        temps = tuple(float(T) for T in self.temperatures_K)
        _check_points(times, temps)
        spans = tuple((float(a), float(b)) for a, b in self.cycle_spans)
        _check_spans(spans, times)
        object.__setattr__(self, "times_s", times)
        object.__setattr__(self, "temperatures_K", temps)
        object.__setattr__(self, "cycle_spans", spans)
        object.__setattr__(self, "_t", np.array(times))
        object.__setattr__(self, "_T", np.array(temps))

    def temperature(self, t):
        """T(t) in K for a time or an array of times in [0, end_time]."""
        self._check_times(t)
        T = np.interp(t, self._t, self._T)
        return float(T) if np.ndim(T) == 0 else T

    def rate(self, t_a: float, t_b: float) -> float:
        """Mean dT/dt over [t_a, t_b] in K/s; the exact rate when no corner lies inside."""
        if t_b == t_a:
            raise ValueError(f"rate: t_a and t_b are both {t_a:g} s; a rate needs an interval")
        return (self.temperature(t_b) - self.temperature(t_a)) / (t_b - t_a)

    @property
    def corners(self) -> tuple[float, ...]:
        return self.times_s

    @property
    def end_time(self) -> float:
        return self.times_s[-1]

    @property
    def cycle_bounds(self) -> list[tuple[float, float]]:
        return list(self.cycle_spans) if self.cycle_spans else [(0.0, self.end_time)]

    def in_cycle(self, t: float) -> int:
        """Index of the cycle containing t, or -1 (before the first, e.g. the initial ramp,
        between cycles, or after the last).

        Spans are half-open [start, end) so that a time shared by two consecutive cycles
        belongs to the later one; the last cycle also owns its end. To attribute a step,
        ask about its midpoint."""
        self._check_times(t)
        bounds = self.cycle_bounds
        k = bisect.bisect_right([a for a, _ in bounds], t) - 1
        if k < 0:
            return -1
        start, end = bounds[k]
        last = k == len(bounds) - 1
        return k if t < end or (last and t == end) else -1

    def is_kink(self, i: int) -> bool:
        """Whether the slope changes at corner i (a ramp/dwell reversal); the two ends are not
        kinks. A point on a straight line is a corner but not a kink."""
        if i <= 0 or i >= len(self.times_s) - 1:
            return False
        before = (self._T[i] - self._T[i - 1]) / (self._t[i] - self._t[i - 1])
        after = (self._T[i + 1] - self._T[i]) / (self._t[i + 1] - self._t[i])
        return not math.isclose(before, after, rel_tol=1e-12, abs_tol=1e-15)

    def _check_times(self, t):
        a = np.asarray(t, dtype=float)
        # A few ULPs of slack: callers compute times as sums that may overshoot the end.
        slack = 1e-12 * max(1.0, self.end_time)
        bad = ~((a >= -slack) & (a <= self.end_time + slack))
        if np.any(bad):
            x = float(a[bad].flat[0]) if a.ndim else float(a)
            raise ValueError(f"t = {x:g} s is outside the profile [0, {self.end_time:g}] s")


def _check_points(times: tuple[float, ...], temps: tuple[float, ...]) -> None:
    if len(times) != len(temps):
        raise ValueError(f"points: times_s has {len(times)} entries but temperatures_K has {len(temps)}")
    if len(times) < 2:
        raise ValueError(f"points: a profile needs at least 2 points, got {len(times)}")
    for i, (t, T) in enumerate(zip(times, temps)):
        if not (math.isfinite(t) and math.isfinite(T)):
            raise ValueError(f"points[{i}]: ({t:g} s, {T:g} K) is not finite")
        if not T > 0:
            raise ValueError(f"points[{i}]: temperature {T:g} K is not > 0 (temperatures are absolute, in K)")
    if times[0] != 0:
        raise ValueError(f"points[0]: time {times[0]:g} s must be 0 (a profile starts at t = 0)")
    for i in range(1, len(times)):
        if not times[i] > times[i - 1]:
            why = "a zero-length segment" if times[i] == times[i - 1] else "time runs backwards"
            raise ValueError(f"points[{i}]: time {times[i]:g} s is not after the previous {times[i - 1]:g} s ({why})")


def _check_spans(spans: tuple[tuple[float, float], ...], times: tuple[float, ...]) -> None:
    # Cycle ends must be corners so that a stepper, which lands on every corner, also lands
    # on every cycle boundary.
    corners = set(times)
    previous_end = 0.0
    for k, (a, b) in enumerate(spans):
        if a not in corners or b not in corners:
            raise ValueError(f"cycle_spans[{k}]: ({a:g}, {b:g}) s must start and end on profile corners")
        if not b > a:
            raise ValueError(f"cycle_spans[{k}]: end {b:g} s is not after start {a:g} s")
        if a < previous_end:
            raise ValueError(f"cycle_spans[{k}]: starts at {a:g} s, inside the previous one (ends {previous_end:g} s)")
        previous_end = b


# --- builders ---------------------------------------------------------------------------


def thermal_cycle(T_low: float, T_high: float, ramp_s: float, dwell_s: float, cycles: int, T_start: float,
                  start_ramp_rate: float | None = None) -> TemperatureProfile:
    """JEDEC-style cycling (e.g. JESD22-A104 condition G, 233.15/398.15 K, 900 s ramps and
    dwells): from T_start (typically the stress-free temperature) ramp to T_high, then per
    cycle dwell high, ramp down, dwell low, ramp up.

    The initial ramp runs at the cycle's ramp rate (T_high - T_low)/ramp_s unless
    ``start_ramp_rate`` (K/s, > 0) is given. Cycle k spans from the start of its high dwell
    to the end of its ramp back up, so each cycle is a closed loop; the initial ramp belongs
    to none. ``dwell_s`` may be 0 (a sawtooth): the dwell points are then left out."""
    _positive("T_low", T_low, "K")
    _positive("T_start", T_start, "K")
    if not T_high > T_low:
        raise ValueError(f"T_high: {T_high:g} K must be above T_low {T_low:g} K")
    _positive("ramp_s", ramp_s, "s")
    if not (math.isfinite(dwell_s) and dwell_s >= 0):
        raise ValueError(f"dwell_s: must be >= 0 s, got {dwell_s:g}")
    if isinstance(cycles, bool) or not isinstance(cycles, (int, np.integer)) or cycles < 1:
        raise ValueError(f"cycles: must be a whole number >= 1, got {cycles!r}")
    rate = (T_high - T_low) / ramp_s
    if start_ramp_rate is not None:
        _positive("start_ramp_rate", start_ramp_rate, "K/s")
        rate = start_ramp_rate
    t0 = abs(T_high - T_start) / rate
    times, temps = [0.0], [float(T_start)]
    if t0 > 0:
        times.append(t0)
        temps.append(float(T_high))
    legs = _cycle_legs(T_low, T_high, ramp_s, dwell_s)
    period = sum(d for d, _ in legs)
    spans = []
    for k in range(cycles):
        start = t0 + k * period
        first = len(times) - 1
        offset = 0.0
        for duration, T in legs:
            offset += duration
            times.append(start + offset)
            temps.append(float(T))
        # The last leg lands at start + period up to round-off; the next cycle starts there.
        spans.append((times[first], times[-1]))
    return TemperatureProfile(tuple(times), tuple(temps), tuple(spans))


def _cycle_legs(T_low, T_high, ramp_s, dwell_s) -> list[tuple[float, float]]:
    """(duration, temperature at its end) of each leg of one cycle, starting at T_high."""
    legs = [(dwell_s, T_high), (ramp_s, T_low), (dwell_s, T_low), (ramp_s, T_high)]
    return [(d, T) for d, T in legs if d > 0]


def from_points(points: Sequence[tuple[float, float]], repeat: int = 1) -> TemperatureProfile:
    """A profile through (time_s, T_K) points, e.g. a reflow profile or a cure schedule.

    With ``repeat`` > 1 the whole schedule runs that many times back to back, each run one
    cycle; the last temperature must equal the first so each run closes."""
    pts = [tuple(p) for p in points]
    if any(len(p) != 2 for p in pts):
        raise ValueError("points: each point is a pair (time_s, T_K)")
    one = TemperatureProfile(tuple(p[0] for p in pts), tuple(p[1] for p in pts))
    if isinstance(repeat, bool) or not isinstance(repeat, (int, np.integer)) or repeat < 1:
        raise ValueError(f"repeat: must be a whole number >= 1, got {repeat!r}")
    if repeat == 1:
        return one
    T_first, T_last = one.temperatures_K[0], one.temperatures_K[-1]
    if not math.isclose(T_first, T_last, rel_tol=1e-12):
        raise ValueError(f"points: to repeat, the last temperature {T_last:g} K must equal the first {T_first:g} K")
    span = one.end_time
    times, temps, spans = [0.0], [T_first], []
    for k in range(repeat):
        first = len(times) - 1
        times += [k * span + t for t in one.times_s[1:]]
        temps += list(one.temperatures_K[1:])
        spans.append((times[first], times[-1]))
    return TemperatureProfile(tuple(times), tuple(temps), tuple(spans))


def _positive(name: str, value: float, unit: str) -> None:
    if not (isinstance(value, (int, float, np.floating, np.integer)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name}: must be > 0 {unit}, got {value!r}")


# --- stepper ----------------------------------------------------------------------------


class StepTooSmall(RuntimeError):
    """A failed solve cut the time step below ``min_dt``: the run cannot go on."""

    def __init__(self, t: float, dt: float, min_dt: float):
        self.t, self.dt, self.min_dt = t, dt, min_dt
        super().__init__(f"t = {t:g} s: time step cut to {dt:g} s after a failed solve, below min_dt {min_dt:g} s")


class Stepper:
    """Adaptive time steps along a profile, in the manner of FESTIM's ``Stepsize``.

    Use: ``t1 = s.next_step(t)``; solve over [t, t1]; then ``s.converged(iterations)`` and
    t = t1, or ``s.failed()`` and ask again from t.

    - Every profile corner (and every time in ``milestones``) is landed on exactly; a step
      never crosses one, and the distance to it is halved rather than leaving a sliver.
    - Steps never exceed ``max_dt`` nor, on a ramp, change T by more than
      ``max_temperature_step_K``.
    - ``converged`` grows dt by ``growth`` when Newton took <= ``target_iterations``,
      shrinks it by ``cutback`` when it took more than twice that, else keeps it.
    - ``failed`` cuts the attempted step by ``cutback``; below ``min_dt`` it raises
      StepTooSmall.
    - With ``dt_at_corner_reset``, a converged step that ends on a kink of the profile (a
      ramp/dwell reversal, where the inelastic response is sharpest) restarts dt at
      ``initial_dt``.

    The controller's dt is nominal: a step shortened by a milestone or the temperature limit
    does not shrink it, so the step after a corner is as long as before. Shrinking starts
    from the attempted step instead, so a retry is really shorter than what failed.
    Deterministic; ``state()``/``restore()`` carry everything that changes, for restart.
    """

    def __init__(self, profile: TemperatureProfile, initial_dt: float, max_dt: float, min_dt: float,
                 growth: float = 1.2, cutback: float = 0.5, target_iterations: int = 4,
                 max_temperature_step_K: float | None = None, dt_at_corner_reset: bool = False,
                 milestones: Sequence[float] = ()):
        for name, value in (("initial_dt", initial_dt), ("max_dt", max_dt), ("min_dt", min_dt)):
            _positive(name, value, "s")
        if not min_dt <= initial_dt <= max_dt:
            raise ValueError(f"initial_dt: {initial_dt:g} s must lie in [min_dt, max_dt] = [{min_dt:g}, {max_dt:g}] s")
        if not growth >= 1:
            raise ValueError(f"growth: must be >= 1, got {growth!r}")
        if not 0 < cutback < 1:
            raise ValueError(f"cutback: must lie in (0, 1), got {cutback!r}")
        if not (isinstance(target_iterations, (int, np.integer)) and target_iterations >= 1):
            raise ValueError(f"target_iterations: must be a whole number >= 1, got {target_iterations!r}")
        if max_temperature_step_K is not None:
            _positive("max_temperature_step_K", max_temperature_step_K, "K")
        self.profile = profile
        self.initial_dt, self.max_dt, self.min_dt = float(initial_dt), float(max_dt), float(min_dt)
        self.growth, self.cutback, self.target_iterations = float(growth), float(cutback), int(target_iterations)
        self.max_temperature_step_K = max_temperature_step_K
        self.dt_at_corner_reset = bool(dt_at_corner_reset)
        self._milestones = _merge_milestones(profile, milestones)
        self._kinks = {profile.times_s[i] for i in range(len(profile.times_s)) if profile.is_kink(i)}
        self.dt = self.initial_dt
        self._attempt: tuple[float, float] | None = None
        self.accepted = 0
        self.rejected = 0

    def next_step(self, t: float) -> float:
        """The end of the next step from t: never past the next milestone, landing on it
        exactly when it is within reach."""
        end = self.profile.end_time
        if not 0 <= t < end:
            raise ValueError(f"next_step: t = {t:g} s is not in [0, {end:g}) s (the profile is done at its end)")
        milestone = self._next_milestone(t)
        dt = self._limited_dt(t, milestone)
        remaining = milestone - t
        if remaining <= dt * (1 + _LAND_TOL):
            t_next = milestone
        elif remaining < _SPLIT_BELOW * dt:
            t_next = t + 0.5 * remaining
        else:
            t_next = t + dt
        self._attempt = (float(t), float(t_next))
        return t_next

    def converged(self, newton_iterations: int) -> None:
        """Record that the last step converged in ``newton_iterations`` and set the next dt."""
        t, t_next = self._last_attempt()
        self.accepted += 1
        self._attempt = None
        if self.dt_at_corner_reset and t_next in self._kinks:
            self.dt = self.initial_dt
        elif newton_iterations <= self.target_iterations:
            self.dt = min(self.dt * self.growth, self.max_dt)
        elif newton_iterations > 2 * self.target_iterations:
            # A converged step is kept, so a cut here only needs a floor, not an error.
            self.dt = max(min(self.dt, t_next - t) * self.cutback, self.min_dt)

    def failed(self) -> None:
        """Record that the last step failed: cut dt; raise StepTooSmall below min_dt."""
        t, t_next = self._last_attempt()
        self.rejected += 1
        self._attempt = None
        dt = min(self.dt, t_next - t) * self.cutback
        if dt < self.min_dt:
            raise StepTooSmall(t, dt, self.min_dt)
        self.dt = dt

    def state(self) -> dict:
        """Everything that changes while stepping, as plain JSON-able values."""
        return {"dt": self.dt, "attempt": list(self._attempt) if self._attempt else None,
                "accepted": self.accepted, "rejected": self.rejected}

    def restore(self, state: dict) -> None:
        """Resume from ``state()`` of a stepper built with the same profile and options."""
        missing = {"dt", "attempt", "accepted", "rejected"} - set(state)
        if missing:
            raise ValueError(f"restore: state lacks {', '.join(sorted(missing))}")
        self.dt = float(state["dt"])
        self._attempt = tuple(float(x) for x in state["attempt"]) if state["attempt"] else None
        self.accepted, self.rejected = int(state["accepted"]), int(state["rejected"])

    def _next_milestone(self, t: float) -> float:
        # A t within round-off of a milestone counts as on it, so the next one is the target.
        tol = _LAND_TOL * self.dt
        i = bisect.bisect_right(self._milestones, t + tol)
        return self._milestones[min(i, len(self._milestones) - 1)]

    def _limited_dt(self, t: float, milestone: float) -> float:
        dt = min(self.dt, self.max_dt)
        if self.max_temperature_step_K is not None:
            # No corner lies inside (t, milestone), so the rate there is the segment's.
            rate = abs(self.profile.rate(t, milestone))
            if rate > 0:
                dt = min(dt, self.max_temperature_step_K / rate)
        return dt

    def _last_attempt(self) -> tuple[float, float]:
        if self._attempt is None:
            raise RuntimeError("Stepper: converged()/failed() called without a step from next_step()")
        return self._attempt


def _merge_milestones(profile: TemperatureProfile, extra: Sequence[float]) -> list[float]:
    extra = [float(m) for m in extra]
    for i, m in enumerate(extra):
        if not 0 <= m <= profile.end_time:
            raise ValueError(f"milestones[{i}]: {m:g} s is outside the profile [0, {profile.end_time:g}] s")
    return sorted(set(profile.corners) | set(extra))
