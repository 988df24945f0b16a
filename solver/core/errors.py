"""The failures a run can end in besides invalid input (``solver.core.case.CaseError``): a
solve that did not converge, a mesh gmsh could not make, a cluster that failed a sweep's
jobs. Each ends the command with exit 1 (a run's summary says failed). Kept apart from the PETSc and dolfinx modules that raise them, so that
validating and describing cases never imports those."""


class SolveError(RuntimeError):
    """A solve did not converge; ``diagnostics`` says how far it got."""

    def __init__(self, message: str, diagnostics: dict):
        super().__init__(message)
        self.diagnostics = diagnostics


class MeshingError(RuntimeError):
    """gmsh could not build or mesh a geometry that passed validation."""


class ClusterError(RuntimeError):
    """The batch system failed a sweep's jobs (sbatch refused a chunk after the first, squeue
    stopped answering): exit 1 with its words; the jobs already queued are said."""


class Interrupted(KeyboardInterrupt):
    """SIGTERM (a batch system's time limit, ``kill``) or SIGINT (Ctrl-C) during a command:
    the run ends with a summary saying so (a checkpoint is kept for ``--restart``) and exit
    code 128 + the signal's number (143, 130)."""

    def __init__(self, signum: int, name: str):
        super().__init__(name)
        self.signum, self.name = signum, name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum
