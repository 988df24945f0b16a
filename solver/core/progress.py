"""How far a long loop is, for its log lines: ``37 %, 1m23s, ETA 2m20s``.

Growth, load and time steps already log one line each on rank 0; a :class:`Progress`
appends where the loop stands against its end (simulated time, cycles, depth) and the
wall-clock time left, extrapolated from the pace since the loop started (a resumed run
counts from where it resumed). ``-q`` hides these lines, ``-v`` adds the solvers' detail.
Stretches with no steps (meshing, compiling forms) say so when they last (``slow_notice``)."""

from __future__ import annotations

import functools
import logging
import threading
import time
from contextlib import contextmanager


class Progress:
    def __init__(self, end: float, start: float = 0.0):
        self.end, self.start = float(end), float(start)
        self.t0 = time.perf_counter()
        self.first: tuple[float, float] | None = None  # (clock, fraction) at the first step's end

    def fraction(self, done: float) -> float:
        span = self.end - self.start
        if span <= 0:
            return 1.0
        return min(max((done - self.start) / span, 0.0), 1.0)

    def tag(self, done: float) -> str:
        """``37 %, 1m23s, ETA 2m20s`` (no ETA before anything is done)."""
        f = self.fraction(done)
        now = time.perf_counter()
        elapsed = now - self.t0
        text = f"{100 * self._absolute(done):.0f} %, {clock(elapsed)}"
        if 0 < f < 1:
            # the pace after the first step: the first pays for compiling forms and set-up
            if self.first is not None and f > self.first[1]:
                pace = (now - self.first[0]) / (f - self.first[1])
            else:
                pace = elapsed / f
            text += f", ETA {clock(pace * (1 - f))}"
        if self.first is None and f > 0:
            self.first = (now, f)
        return text

    def _absolute(self, done: float) -> float:
        """The share of the whole loop done (a resumed run's earlier part included)."""
        return min(max(done / self.end, 0.0), 1.0) if self.end > 0 else 1.0


def clock(seconds: float) -> str:
    """``48s``, ``3m05s``, ``2h07m``."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


@contextmanager
def slow_notice(message: str, after: float = 2.0):
    """Say ``message`` (and, at the end, how long it took) only if the block is still running
    after ``after`` seconds: long silent stretches (meshing a package, compiling forms) get a
    line, quick ones stay quiet. Rank 0's logger speaks; the others are silent anyway."""
    log = logging.getLogger("sprout")
    said = threading.Event()

    def say() -> None:
        said.set()
        log.info("%s ...", message)

    timer = threading.Timer(after, say)
    timer.daemon = True
    t0 = time.perf_counter()
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if said.is_set():
            log.info("%s: done in %s", message, clock(time.perf_counter() - t0))


_jit: dict = {"wrapped": False, "seconds": 0.0, "said": False}


def announce_form_compilation(after: float = 2.0) -> None:
    """One line once dolfinx has compiled forms for ``after`` seconds in all (the first run
    of a case kind on a machine compiles a dozen forms for about 15 s, silent before; later
    runs read the cache and stay quiet)."""
    if _jit["wrapped"]:
        return
    import dolfinx.jit

    original = dolfinx.jit.ffcx_jit
    log = logging.getLogger("sprout")

    def say() -> None:
        _jit["said"] = True
        log.info("compiling finite-element forms (the first run of a case kind here; cached for later runs) ...")

    @functools.wraps(original)
    def ffcx_jit(*args, **kwargs):
        timer = None
        if not _jit["said"]:
            timer = threading.Timer(max(after - _jit["seconds"], 0.0), say)
            timer.daemon = True
            timer.start()
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            took = time.perf_counter() - t0
            # a compilation takes a second or so, a cache hit milliseconds: only compilations
            # add up (a worker's hundreds of cache hits must not announce one)
            if took > 0.1:
                _jit["seconds"] += took
            if timer is not None:
                timer.cancel()

    dolfinx.jit.ffcx_jit = ffcx_jit
    _jit["wrapped"] = True
