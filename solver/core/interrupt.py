"""SIGTERM and SIGINT: how a run stops when told to.

On one rank the signal raises :class:`Interrupted` at once: any point is safe. On several
ranks a rank raising alone would leave the others blocked in their next collective call
(an MPI_Abort, the crash PETSc's handler used to produce), so the signal is only noted and
every rank raises together at the next :func:`check`, which the stepping loops call once
per time, load or growth step. A second signal does not wait.

The CLI installs the handler; the run driver writes a summary that says the run was
interrupted (its checkpoint kept for ``--restart``); the exit code is 128 + the signal."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

from solver.core.errors import Interrupted

if TYPE_CHECKING:
    from mpi4py import MPI

_pending: list[int] = []  # the signal noted on this rank, waiting for the next check


def install(comm: MPI.Comm) -> None:
    """Route SIGTERM and SIGINT through sprout (main thread only, as Python requires)."""
    if threading.current_thread() is not threading.main_thread():
        return
    _pending.clear()

    def handler(signum, frame):
        if comm.size == 1 or _pending:
            raise Interrupted(signum, signal.Signals(signum).name)
        _pending.append(signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def check(comm: MPI.Comm) -> None:
    """A point every rank of ``comm`` reaches: raise Interrupted on all of them if any was
    signalled (collective on more than one rank)."""
    if comm.size == 1:
        return
    from mpi4py import MPI

    signum = comm.allreduce(_pending[0] if _pending else 0, op=MPI.MAX)
    if signum:
        raise Interrupted(signum, signal.Signals(signum).name)
