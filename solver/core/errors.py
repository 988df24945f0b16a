"""The failures a run can end in besides invalid input (``solver.core.case.CaseError``): a
solve that did not converge and a mesh gmsh could not make. Both end a run with exit 1 and
a failed summary. Kept apart from the PETSc and dolfinx modules that raise them, so that
validating and describing cases never imports those."""


class SolveError(RuntimeError):
    """A solve did not converge; ``diagnostics`` says how far it got."""

    def __init__(self, message: str, diagnostics: dict):
        super().__init__(message)
        self.diagnostics = diagnostics


class MeshingError(RuntimeError):
    """gmsh could not build or mesh a geometry that passed validation."""
