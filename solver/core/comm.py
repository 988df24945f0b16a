"""The communicator a command runs on: MPI's world, or a one-rank stand-in where mpi4py
cannot load (sprout installed without its dolfinx wheel). ``sprout --version``, ``schema``
and ``check`` need nothing of MPI, so they work there; solving needs dolfinx anyway and
says so (``require_solver``)."""

from __future__ import annotations

import os
import sys


class SerialComm:
    """The part of ``MPI.Comm`` that the commands which never solve use, on one rank."""

    rank = 0
    size = 1

    def bcast(self, obj, root: int = 0):
        return obj

    def barrier(self) -> None:
        return None

    def allreduce(self, obj, op=None):
        return obj

    def gather(self, obj, root: int = 0):
        return [obj]

    def allgather(self, obj):
        return [obj]

    def Abort(self, code: int = 1):  # noqa: N802 (MPI's name)
        sys.stderr.flush()
        os._exit(code)


def world():
    try:
        from mpi4py import MPI
    except ImportError:
        return SerialComm()
    return MPI.COMM_WORLD


class MissingSolver(RuntimeError):
    """The finite-element stack is not installed: a one-line message, no traceback."""


def require_solver(command: str) -> None:
    """Refuse a command that solves or meshes when dolfinx cannot be imported."""
    try:
        import dolfinx  # noqa: F401
    except ImportError as exc:
        raise MissingSolver(
            f"`sprout {command}` needs dolfinx 0.11 with PETSc and MPI, which cannot be imported here "
            f"({exc}); install the pinned stack with `make venv` (the dolfinx-solver-real wheel) or use "
            "conda-forge's fenics-dolfinx; `sprout --version`, `schema` and `check` work without it") from None
