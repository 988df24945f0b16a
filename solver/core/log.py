"""One log stream: rank 0 speaks, other ranks stay silent (warnings included)."""

from __future__ import annotations

import logging
import sys

from solver.core.comm import world


def get_logger(comm=None, verbose: bool = False, quiet: bool = False) -> logging.Logger:
    """``quiet``: warnings only; ``verbose``: debug lines too (each solver step's detail)."""
    comm = world() if comm is None else comm
    log = logging.getLogger("sprout")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[sprout] %(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    if comm.rank != 0:
        log.setLevel(logging.CRITICAL + 1)
    return log
