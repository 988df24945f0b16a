"""The one place that loads the PyPI wheel's MPI binding before dolfinx and petsc4py.

``dolfinx-solver-real`` bundles PETSc and MPICH; ``import dolfinx_solver`` loads
``mpi4py.MPI`` so every binding shares one libmpi. conda-forge and the official dolfinx
Docker images ship dolfinx without this module, so its absence is normal."""

try:  # pragma: no cover - depends on how dolfinx was installed
    import dolfinx_solver  # noqa: F401

    WHEEL = True
except ImportError:  # pragma: no cover
    WHEEL = False
