"""The ``geometry`` case: a structure and its mesh only."""

from __future__ import annotations

from typing import Literal

from solver.core.case import CaseBase


class GeometryCase(CaseBase):
    """A structure only: ``sprout run`` meshes it and reports counts, volumes and quality
    (the geometry step of a process flow, or a mesh to hand to another tool)."""

    kind: Literal["geometry"]

    @property
    def mesh_order(self) -> int:
        return self.mesh.order or 1


