"""sprout: finite-element process simulation for wafer-level packaging.

The flat public API for notebooks and scripts. ``solver._hook`` is imported first: it loads
the PyPI wheel's MPI binding before anything imports dolfinx or petsc4py.

    import solver
    case = solver.load_case("cases/validation/bimetal_strip.toml", ["load.temperature=0 degC"])
    summary = solver.run_case("cases/validation/bimetal_strip.toml", "results/bimetal")
    summary["results"]["curvature_1_per_m"]
"""

from . import _hook  # noqa: F401  (must stay first)

from solver.core.case import CaseError  # noqa: E402
from solver.core.errors import MeshingError, SolveError  # noqa: E402
from solver.core.kind import CaseKind, RunContext  # noqa: E402
from solver.core.materials import LIBRARY, Material, library_material  # noqa: E402
from solver.core.version import __version__  # noqa: E402
from solver.mechanics.schema import ThermoelasticCase  # noqa: E402
from solver.workflow.driver import InternalError, execute_run  # noqa: E402
from solver.workflow.registry import KINDS, load_case, register, validate_case  # noqa: E402

__all__ = [
    "KINDS",
    "LIBRARY",
    "CaseError",
    "CaseKind",
    "InternalError",
    "Material",
    "MeshingError",
    "RunContext",
    "SolveError",
    "ThermoelasticCase",
    "__version__",
    "library_material",
    "load_case",
    "register",
    "run_case",
    "validate_case",
]


def run_case(path, out=None, overrides=None, comm=None, restart: bool = False) -> dict:
    """Run a case file as ``sprout run`` does; returns the summary dict (``out`` added).

    Raises CaseError for invalid input (nothing written), SolveError for a failed solve (a
    failed summary written in OUT)."""
    from mpi4py import MPI

    return execute_run(path, out, overrides or [], comm or MPI.COMM_WORLD, restart=restart)
