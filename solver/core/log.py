"""One log stream: rank 0 speaks, other ranks stay silent (warnings included)."""

from __future__ import annotations

import logging
import sys

from mpi4py import MPI


def get_logger(comm: MPI.Comm = MPI.COMM_WORLD, verbose: bool = False) -> logging.Logger:
    log = logging.getLogger("sprout")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[sprout] %(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    if comm.rank != 0:
        log.setLevel(logging.CRITICAL + 1)
    return log
