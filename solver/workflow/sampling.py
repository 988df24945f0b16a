"""Sampling designs for sweeps: parameter ranges (and lists of levels) in, rows of case values out.

The methods, as a sweep file names them:

- ``latin_hypercube``, ``sobol``, ``halton``: ``samples`` points of the unit cube from
  ``scipy.stats.qmc``, seeded by ``seed``, scaled onto ``{ low, high }`` ranges. The Latin
  hypercube is optimised for space filling (``random-cd``: it keeps one point per stratum of
  each parameter and lowers the centred discrepancy) up to 1000 points per batch; above that
  the optimisation takes longer than it is worth (4 s at 1000 points, growing ~n) and the
  plain Latin hypercube is used. Sobol' and Halton are scrambled; Sobol' balances best when
  ``samples`` is a power of 2 (any count is accepted, with a warning in the log).
- ``factorial``: every combination of each parameter's levels; a range
  ``{ low, high, levels = k }`` gives k evenly spaced values from low to high inclusive, a
  list gives its values as they are (``grid`` is the same over lists only).
- ``one_at_a_time``: the nominal case, then each parameter through its levels while the
  others stay at their nominal value: a range's ``nominal`` (its midpoint if not given), a
  list's first value. A level equal to the nominal is the nominal case, which appears once,
  so k levels that include the nominal add k - 1 cases.

Values keep the unit of ``low`` as the user spelled it, with 6 significant digits; plain
numbers stay plain.

Extending a sweep (raising ``samples`` and running ``--resume`` again) keeps the cases done
and appends new ones. The first n points of a scrambled Sobol' or Halton sequence are the
first n of any longer run with the same seed, so an extended sweep equals a fresh one of the
larger size. A Latin hypercube of n' points is a different design from one of n, so an
extension appends a second Latin hypercube of n' - n points drawn from a seed derived from
(seed, batch number): the extended design is its batches, recorded in the manifest's
``sample`` record, and differs from a fresh sweep of n' cases (one Latin hypercube of n').
Each batch is a Latin hypercube on its own; together they are not one.
"""

from __future__ import annotations

import itertools
import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger("sprout")

SEQUENCES = ("latin_hypercube", "sobol", "halton")  # samples + seed over ranges
LEVELLED = ("factorial", "one_at_a_time")  # levels of ranges, or lists
MAX_LEVELS = 100_000
OPTIMISE_UP_TO = 1000  # points per Latin hypercube batch that random-cd optimises (see above)


class Range(BaseModel):
    model_config = ConfigDict(extra="forbid")
    low: str | float
    high: str | float
    # 2 .. MAX_LEVELS, checked by the sweep (a bound here would be reported as the union's)
    levels: int | None = Field(None, strict=True,
                               description="factorial, one_at_a_time: evenly spaced values from low to high")
    nominal: str | float | None = Field(None, description="one_at_a_time: the value while others vary "
                                                          "(default: the midpoint)")


@dataclass(frozen=True)
class Bounds:
    """A range read: numbers in the unit of ``low`` as the user spelled it (None: plain)."""

    low: float
    high: float
    unit: str | None
    nominal: float

    def value(self, number: float) -> str | float:
        if self.unit is None:
            return float(f"{number:.6g}")
        return f"{number:.6g} {self.unit}"

    def at(self, x: float) -> str | float:
        """The value at ``x`` in [0, 1] of the range."""
        return self.value(self.low + x * (self.high - self.low))

    def levels(self, k: int) -> list:
        return [self.value(v) for v in np.linspace(self.low, self.high, k)]


def bounds(key: str, r: Range) -> Bounds:
    """Read a range; a ValueError names the field (``parameters.<key>.high: ...``)."""
    where = f"parameters.{key}"
    if isinstance(r.low, str) != isinstance(r.high, str):
        raise ValueError(f"{where}: low and high must both carry a unit or both be plain numbers")
    if isinstance(r.low, str):
        low, unit = _number_and_unit(r.low, f"{where}.low")
        high = _in_unit(r.high, unit, f"{where}.high")
    else:
        low, high, unit = float(r.low), float(r.high), None
    for name, v in (("low", low), ("high", high)):
        if not math.isfinite(v):
            raise ValueError(f"{where}.{name}: must be a finite number")
    if not low < high:
        raise ValueError(f"{where}: bounds reversed: low ({r.low}) must be below high ({r.high})")
    nominal = (low + high) / 2
    if r.nominal is not None:
        if isinstance(r.nominal, str) != (unit is not None):
            raise ValueError(f"{where}.nominal: must carry a unit like low and high, or be a plain number "
                             "like them")
        nominal = _in_unit(r.nominal, unit, f"{where}.nominal") if unit else float(r.nominal)
        if not low <= nominal <= high:
            raise ValueError(f"{where}.nominal: {r.nominal} is outside low .. high")
    return Bounds(low, high, unit, nominal)


def _number_and_unit(text: str, where: str) -> tuple[float, str]:
    from meshes.units import _SPLIT, _check_expression

    match = _SPLIT.match(text)
    if match is None or not match["unit"]:
        raise ValueError(f"{where}: {text!r} is not a number with a unit")
    try:
        _check_expression(text, match["unit"])
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return float(match["number"]), match["unit"]  # the user's spelling of the unit is kept


def _in_unit(text, unit: str, where: str) -> float:
    from meshes.units import ureg

    try:
        number, its_unit = _number_and_unit(str(text), where) if isinstance(text, str) else (None, None)
        if number is None:
            raise ValueError
        return float(ureg.Quantity(number, its_unit).to(unit).magnitude)
    except Exception:
        raise ValueError(f"{where}: {text!r} is not in units of {unit!r}") from None


# -- points of the unit cube ----------------------------------------------------------------------
def batches(method: str, samples: int, seed: int, earlier: list[dict] | None = None) -> list[dict]:
    """How a design of ``samples`` points is drawn: one batch, or the ``earlier`` batches of
    a smaller sweep being extended plus one batch of the points added. A Latin hypercube
    batch records its size, the seed it is drawn from (``seed`` for the first, one derived
    from (seed, batch number) after) and whether it is optimised, so that the design
    regenerates exactly; a Sobol' or Halton batch its size only (the sequence is one)."""
    done = sum(b["samples"] for b in earlier or [])
    if not earlier or done > samples:
        return [_batch(method, 0, samples, seed)]
    if done == samples:
        return [dict(b) for b in earlier]
    return [*(dict(b) for b in earlier), _batch(method, len(earlier), samples - done, seed)]


def _batch(method: str, number: int, samples: int, seed: int) -> dict:
    if method != "latin_hypercube":
        return {"samples": samples}
    if number > 0:  # independent of the first batch's stream, and the same every time
        seed = int(np.random.SeedSequence([seed, number]).generate_state(1, np.uint64)[0] >> 1)
    return {"samples": samples, "seed": seed,
            "optimization": "random-cd" if samples <= OPTIMISE_UP_TO else None}


def unit_points(method: str, dims: int, seed: int, drawn: list[dict]) -> np.ndarray:
    """The design in [0, 1)^dims, one row per case: the batches ``drawn`` in order."""
    from scipy.stats import qmc

    n = sum(b["samples"] for b in drawn)
    if method == "latin_hypercube":
        return np.vstack([qmc.LatinHypercube(dims, optimization=b["optimization"],
                                             rng=np.random.default_rng(b["seed"])).random(b["samples"])
                          for b in drawn])
    engine = {"sobol": qmc.Sobol, "halton": qmc.Halton}[method](dims, scramble=True,
                                                                rng=np.random.default_rng(seed))
    if method == "sobol" and n & (n - 1):
        log.warning("sobol: %d samples is not a power of 2; the Sobol' points balance best at 2^k "
                    "(%d or %d)", n, 1 << (n.bit_length() - 1), 1 << n.bit_length())
    with warnings.catch_warnings():  # scipy's own warning about the same, said above in the user's words
        warnings.simplefilter("ignore", UserWarning)
        return engine.random(n)


# -- designs --------------------------------------------------------------------------------------
def levels(key: str, v) -> list:
    """A parameter's levels for factorial and one_at_a_time: a list as given, or a range's
    ``levels`` evenly spaced values."""
    return list(v) if isinstance(v, list) else bounds(key, v).levels(v.levels)


def factorial(parameters: dict) -> list[tuple]:
    return list(itertools.product(*(levels(k, v) for k, v in parameters.items())))


def factorial_size(parameters: dict) -> int:
    """Counted without expanding (a typo in the levels multiplies)."""
    return math.prod(len(v) if isinstance(v, list) else v.levels for v in parameters.values())


def one_at_a_time(parameters: dict) -> list[tuple]:
    keys = list(parameters)
    nominal = [_nominal(k, v) for k, v in parameters.items()]
    rows = [tuple(nominal)]
    for i, k in enumerate(keys):
        for level in levels(k, parameters[k]):
            if level != nominal[i]:
                rows.append((*nominal[:i], level, *nominal[i + 1:]))
    return rows


def _nominal(key: str, v):
    if isinstance(v, list):
        return v[0]
    b = bounds(key, v)
    return b.value(b.nominal)
