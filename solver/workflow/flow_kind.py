"""The ``flow`` case kind: a process flow of steps, each an ordinary case."""

from __future__ import annotations

from solver.core.kind import CaseKind
from solver.workflow.flow_schema import FlowCase


FLOW = CaseKind(
    name="flow",
    model=FlowCase,
    run="solver.workflow.flow:run_flow",
    describe="solver.workflow.flow:describe_flow",
    precheck="solver.workflow.flow:check_flow",
    title="a process flow of steps",
    restart=True,
    mesh=False,
)
