"""The one place that loads the PyPI wheel's MPI binding before dolfinx and petsc4py.

``dolfinx-solver-real`` bundles PETSc and MPICH; ``import dolfinx_solver`` loads
``mpi4py.MPI`` so every binding shares one libmpi. conda-forge and the official dolfinx
Docker images ship dolfinx without this module, so its absence is normal.

PETSc's own signal handler is switched off (before PETSc starts): it turns SIGTERM, a
batch system's time limit, into a crash banner and MPI_Abort, where sprout ends the run
with one line, an interrupted summary and its checkpoint kept (``solver.cli``)."""

import os

if "-no_signal_handler" not in os.environ.get("PETSC_OPTIONS", ""):
    os.environ["PETSC_OPTIONS"] = (os.environ.get("PETSC_OPTIONS", "") + " -no_signal_handler").strip()

try:  # pragma: no cover - depends on how dolfinx was installed
    import dolfinx_solver  # noqa: F401

    WHEEL = True
except ImportError:  # pragma: no cover
    WHEEL = False
