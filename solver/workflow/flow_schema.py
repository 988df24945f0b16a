"""The ``flow`` case: steps run in order, each an ordinary case fed by the steps before it."""

from __future__ import annotations

import re
import tomllib
from typing import Literal

from pydantic import Field, model_validator

from solver.core.case import CaseName, Strict


# -- process flows ---------------------------------------------------------------------
STEP_REFERENCE = re.compile(r"\{([^{}]*)\}")
_OPERAND = re.compile(r"^(?:([a-z][a-z0-9_]*)(?:\.([A-Za-z0-9_]+))?|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))$")
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(==|!=|<=|>=|<|>)\s*(\S+)\s*$")


def reference_terms(expr: str) -> list[tuple[str, str | None, str | None, float | None]]:
    """``a.x * b.y / 2`` -> [("*", "a", "x", None), ("*", "b", "y", None), ("/", None, None, 2.0)]:
    an earlier step's result, or a product and quotient of results and numbers (a
    feature-scale thickness scaled by the wafer map). ``{a}`` alone is step a's folder."""
    parts = re.split(r"\s*([*/])\s*", expr.strip())
    terms = []
    for op, operand in zip(["*"] + parts[1::2], parts[0::2]):
        m = _OPERAND.match(operand)
        if not m:
            raise ValueError(f"{{{expr}}}: {operand!r} is neither step.result_key nor a number")
        terms.append((op, m.group(1), m.group(2), None if m.group(3) is None else float(m.group(3))))
    if len(terms) > 1 and any(step and key is None for _, step, key, _ in terms):
        raise ValueError(f"{{{expr}}}: a step's folder ({{step}}) cannot be multiplied")
    return terms


MERGE_ITEM = re.compile(r"^\{([a-z][a-z0-9_]*)\}/(.+)$")  # a file inside an earlier step's folder


class FlowStep(Strict):
    """One step of a flow: an ordinary case file run in its own folder OUT/<nn>_<name>.
    ``{step.key}`` in ``set`` stands for an earlier step's result (keys end in their unit,
    so write it after: ``"geometry.barrier_thickness={barrier.coat_mean_thickness_um} um"``),
    also as a product or quotient with other results and numbers (``{a.x * b.y / b.z}``);
    ``{step}`` in ``merge`` for an earlier step's folder."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40, description="step name; its folder is <nn>_<name>")
    case: str = Field(min_length=1, max_length=1024, description="case file, relative to the flow file",
                      json_schema_extra={"x-file": True})
    description: str = ""
    set: list[str] = Field(default_factory=list,
                           description="overrides as for --set KEY=VALUE; {step.result_key} inserts an earlier "
                                       "step's result")
    merge: list[str] = Field(default_factory=list,
                             description="TOML snippets (e.g. '{etch}/concavity.toml' written by the step 'etch') "
                                         "whose innermost tables replace the case's, before the overrides")
    require: list[str] = Field(default_factory=list,
                               description="conditions on this step's results, e.g. 'void_count == 0': the flow "
                                           "stops here when one fails")
    show: list[str] | None = Field(None, description="result keys for the flow summary (default: the kind's key "
                                                     "results)")

    @model_validator(mode="after")
    def _syntax(self):
        for i, item in enumerate(self.set):
            if "=" not in item or not item.split("=", 1)[0].strip():
                raise ValueError(f"set[{i}]: {item!r}: expected KEY=VALUE")
        for field, items in (("set", self.set), ("merge", self.merge)):
            for i, text in enumerate(items):
                for m in STEP_REFERENCE.finditer(text):
                    try:
                        terms = reference_terms(m.group(1))
                    except ValueError as exc:
                        raise ValueError(f"{field}[{i}]: {exc}") from None
                    if field == "set" and any(step and key is None for _, step, key, _ in terms):
                        raise ValueError(f"{field}[{i}]: {{{m.group(1)}}} is a step's folder; a value needs "
                                         "{step.result_key}")
        for i, item in enumerate(self.merge):
            m = MERGE_ITEM.match(item)
            if not m or any(part in ("", ".", "..") for part in m.group(2).split("/")):
                raise ValueError(f"merge[{i}]: {item[:80]!r}: must name a file in an earlier step's folder, "
                                 "'{step}/file.toml' (no '..', no absolute path)")
        for i, item in enumerate(self.require):
            m = REQUIREMENT.match(item)
            if not m:
                raise ValueError(f"require[{i}]: {item!r}: expected 'result_key OP value' with OP one of "
                                 "== != < <= > >=")
            try:
                value = tomllib.loads(f"v = {m.group(3)}")["v"]
            except tomllib.TOMLDecodeError:
                value = None
            if not isinstance(value, (bool, int, float)):
                raise ValueError(f"require[{i}]: {m.group(3)!r} is not a number or true/false")
        return self

    def references(self) -> list[tuple[str, str, str | None]]:
        """(field, step, result key or None) of every ``{...}`` in set and merge."""
        out = []
        for field, items in (("set", self.set), ("merge", self.merge)):
            for i, text in enumerate(items):
                out += [(f"{field}[{i}]", step, key) for m in STEP_REFERENCE.finditer(text)
                        for _, step, key, _ in reference_terms(m.group(1)) if step]
        return out


class FlowCase(Strict):
    """A process flow: steps run in order, each an ordinary case in its own folder, fed by
    the results and files of the steps before it. A step that fails (its solve, its
    hand-over or one of its requirements) stops the flow with its reason."""

    kind: Literal["flow"]
    name: CaseName
    description: str = ""
    steps: list[FlowStep] = Field(min_length=1, max_length=50)

    def cross_check(self) -> None:
        """Each step's case is checked on its own file (``flow.check_flow``)."""

    def resolved_extra(self) -> dict:
        return {}

    @model_validator(mode="after")
    def _names(self):
        seen: list[str] = []
        for i, step in enumerate(self.steps):
            if step.name in seen:
                raise ValueError(f"steps[{i}].name: {step.name!r} is used twice")
            for field, ref, _ in step.references():
                if ref not in seen:
                    raise ValueError(f"steps[{i}].{field}: {{{ref}}} names no earlier step"
                                     + (f" (earlier: {', '.join(seen)})" if seen else " (this is the first)"))
            seen.append(step.name)
        return self


