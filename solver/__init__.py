"""sprout: finite-element process simulation for wafer-level packaging.

The flat public API. ``solver._hook`` is imported first: it loads the PyPI wheel's MPI
binding before anything imports dolfinx or petsc4py."""

from . import _hook  # noqa: F401  (must stay first)

__version__ = "0.1.0"

from .materials import LIBRARY, Material, library_material  # noqa: E402
from .schema import CaseError, ThermoelasticCase, load_case, validate_case  # noqa: E402

__all__ = [
    "LIBRARY",
    "CaseError",
    "Material",
    "ThermoelasticCase",
    "__version__",
    "library_material",
    "load_case",
    "run_case",
    "validate_case",
]


def run_case(path, out=None, overrides=None, comm=None):
    """Run a case file as ``sprout run`` does; returns the summary dict."""
    from mpi4py import MPI

    from .cli import execute_run

    return execute_run(path, out, overrides or [], comm or MPI.COMM_WORLD)
