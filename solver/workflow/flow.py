"""Process flows: ``kind = "flow"`` runs its steps in order, each an ordinary case file in its
own folder ``OUT/<nn>_<step>``, each fed by the steps before it.

A step hands over through its results (``{step.key}`` in a later step's ``set``: the plated
thickness becomes the wiring thickness of the stress model) and its files (``{step}`` in a
later step's ``merge``: the etched concavity becomes the plating geometry). After every step
``OUT/summary.json`` gets its line (status, seconds, key results), so an interrupted flow
shows how far it got; ``--restart`` reuses the steps whose inputs are unchanged and whose
summary is complete. A step that fails (its solve, its hand-over, one of its ``require``
conditions) stops the flow: the flow's summary names the step and the reason and the CLI
exits 1. Problems visible before anything runs (a step case that is invalid on its own, a
reference to no earlier step) are input errors (exit 2, nothing written)."""

from __future__ import annotations

import json
import operator
import time
import tomllib
from pathlib import Path

from solver.core.case import CaseError, apply_override, case_digest, read_case_toml, read_input_toml, resolved_case
from solver.core.errors import MeshingError, SolveError
from solver.core.kind import RunContext
from solver.core.output import atomic_write_json, summary
from solver.core.result_names import check_names
from solver.core.resolved_toml import write_resolved_toml
from solver.core.run_report import write_report
from solver.workflow.flow_schema import MERGE_ITEM, REQUIREMENT, STEP_REFERENCE, FlowCase, FlowStep, reference_terms
from solver.workflow.registry import KINDS, validate_case

COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
           ">=": operator.ge}


class FlowFailed(Exception):
    """A step stopped the flow; ``data`` is the flow's summary (already written)."""

    def __init__(self, data: dict):
        super().__init__(data["reason"])
        self.data = data


def step_folder(index: int, step: FlowStep) -> str:
    return f"{index + 1:02d}_{step.name}"


def check_flow(flow: FlowCase, source: str) -> list:
    """Each step's case as it stands before the flow runs (its file, the overrides without
    references; merges come from earlier steps and are left out): CaseError names the step."""
    base = Path(source).parent
    cases = []
    for i, step in enumerate(flow.steps):
        where = f"{source}: steps[{i}] ({step.name})"
        raw = read_case_toml(_case_path(base, step, where))
        for item in step.set:
            if not STEP_REFERENCE.search(item):
                _override(raw, item, where)
        if raw.get("kind") == flow.kind:
            raise CaseError(f"{where}.case: {step.case} is itself a flow; list its steps instead")
        cases.append(validate_case(raw, source=f"{where} {step.case}", folder=(base / step.case).absolute().parent))
        names = [s.name for s in flow.steps[:i]]
        declared = KINDS[cases[-1].kind].declared_results(cases[-1])
        check_names(declared, list(step.show or []), f"{where}.show", f"of a {cases[-1].kind} case like this step's")
        check_names(declared, [REQUIREMENT.match(r).group(1) for r in step.require], f"{where}.require",
                    f"of a {cases[-1].kind} case like this step's")
        for field, ref, key in step.references():
            if key is not None and ref in names:
                earlier = cases[names.index(ref)]
                check_names(KINDS[earlier.kind].declared_results(earlier), [key], f"{where}.{field}: {{{ref}.{key}}}",
                            f"step {ref!r} ({earlier.kind})")
        for k, item in enumerate(step.merge):
            ref, file = MERGE_ITEM.match(item).groups()
            record = KINDS[cases[names.index(ref)].kind]
            if file not in record.hands_over:
                offered = ", ".join(record.hands_over) or "nothing"
                raise CaseError(f"{where}.merge[{k}]: step {ref!r} ({record.name}) writes no {file!r} for later "
                                f"steps (it hands over: {offered})")
    return cases


def describe_flow(flow: FlowCase, source: str) -> str:
    cases = check_flow(flow, source)
    chain = " -> ".join(f"{s.name} ({c.kind})" for s, c in zip(flow.steps, cases))
    return f"ok: {flow.name} (flow, {len(flow.steps)} steps: {chain})"


def run_flow(flow: FlowCase, ctx: RunContext) -> dict:
    """The steps in order, each run by ``ctx.run_step`` (the run driver) into its folder."""
    out, comm, log, t0, source, restart = ctx.out, ctx.comm, ctx.log, ctx.t0, ctx.source, ctx.restart
    log.info("flow %s: %d steps", flow.name, len(flow.steps))
    base = Path(source).parent
    before = _previous_steps(out, comm) if restart else {}
    if comm.rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    comm.barrier()
    records: list[dict] = []
    done: dict[str, tuple[Path, dict]] = {}  # step name -> (folder, results)
    reason = None
    for i, step in enumerate(flow.steps):
        folder = out / step_folder(i, step)
        where = f"steps[{i}] ({step.name})"
        t_step = time.perf_counter()
        record = {"step": step.name, "folder": folder.name, "case": step.case, "kind": None}
        log.info("flow %s: step %d/%d %s (%s)", flow.name, i + 1, len(flow.steps), step.name, step.case)
        try:
            raw = _step_case(step, base, done, where)
            case = validate_case(raw, source=f"{where} {step.case}", folder=(base / step.case).absolute().parent)
            record["kind"] = case.kind
            record["inputs_digest"] = case_digest(resolved_case(case))
            prior = before.get(step.name)
            if prior and prior.get("inputs_digest") == record["inputs_digest"] and _complete(folder, comm):
                data = _read_summary(folder, comm)
                record["reused"] = True
                log.info("  unchanged since the last run: reused %s", folder)
            else:
                # an interrupted fill of the same inputs resumes from its checkpoint
                resume = (KINDS[case.kind].restart and restart
                          and _checkpoint_digest(folder, comm) == record["inputs_digest"])
                data = ctx.run_step(base / step.case, folder, [], comm, log, restart=resume, case=case)
            results = data["results"]
            failed = _unmet(step, results)
            record.update(status="ok" if failed is None else "failed", wall_s=round(time.perf_counter() - t_step, 3),
                          dofs=data.get("dofs", 0), key_results=_key_results(step, case.kind, data))
            if failed:
                reason = f"{step.name}: requirement not met: {failed}"
            else:
                done[step.name] = (folder, results)
        except CaseError as exc:
            reason = f"{step.name}: invalid hand-over: {exc}"
            record.update(status="invalid")
        except (SolveError, MeshingError) as exc:
            reason = f"{step.name}: {'meshing' if isinstance(exc, MeshingError) else 'solve'} failed: {exc}"
            record.update(status="failed")
        record.setdefault("wall_s", round(time.perf_counter() - t_step, 3))
        if reason:
            record["reason"] = reason
        records.append(record)
        log.info("  %s: %s in %.2f s%s", step.name, record["status"], record["wall_s"],
                 "".join(f", {k} {v:.4g}" for k, v in record.get("key_results", {}).items()))
        if reason:
            break
        _write(flow, out, comm, records, "running", t0, source, None)
    for j in range(len(records), len(flow.steps)):
        records.append({"step": flow.steps[j].name, "folder": step_folder(j, flow.steps[j]),
                        "case": flow.steps[j].case, "status": "not_run"})
    data = _write(flow, out, comm, records, "failed" if reason else "ok", t0, source, reason)
    if reason:
        raise FlowFailed(data)
    return data


# -- a step's case: the file, the earlier steps' files merged in, the overrides ------------
def _case_path(base: Path, step: FlowStep, where: str) -> Path:
    path = base / step.case
    try:
        found = path.is_file()
    except OSError as exc:  # a name too long for the file system
        raise CaseError(f"{where}.case: {step.case[:80]}: {exc.strerror or exc}") from None
    if not found:
        raise CaseError(f"{where}.case: {step.case}: no such case file"
                        + ("" if Path(step.case).is_absolute() else f" (in {base}, the flow file's folder)"))
    return path


def _step_case(step: FlowStep, base: Path, done: dict, where: str) -> dict:
    raw = read_case_toml(_case_path(base, step, where))
    for k, item in enumerate(step.merge):
        ref = MERGE_ITEM.match(item).group(1)
        path = Path(_substitute(item, done, f"{where}.merge[{k}]")).resolve()
        if not path.is_relative_to(done[ref][0].resolve()):  # a symlink out of the step's folder
            raise CaseError(f"{where}.merge[{k}]: {item} leads outside step {ref!r}'s folder")
        try:
            snippet = read_input_toml(path, "file to merge")
        except CaseError as exc:
            raise CaseError(f"{where}.merge[{k}]: {exc}") from None
        _merge(raw, snippet)
    for k, item in enumerate(step.set):
        _override(raw, _substitute(item, done, f"{where}.set[{k}]"), where)
    return raw


def _substitute(text: str, done: dict, field: str) -> str:
    def value(m) -> str:
        x = 1.0
        for op, step, key, number in reference_terms(m.group(1)):
            if step is None:
                term = number
            else:
                folder, results = done[step]  # the schema allows earlier steps only
                if key is None:
                    return str(folder.resolve())
                if key not in results:
                    raise CaseError(f"{field}: step {step!r} has no result {key!r} (it has: {', '.join(results)})")
                term = results[key]
            if op == "/" and term == 0:
                raise CaseError(f"{field}: {{{m.group(1)}}} divides by zero")
            x = x * term if op == "*" else x / term
        return f"{x:.10g}"

    return STEP_REFERENCE.sub(value, text)


def _override(raw: dict, item: str, where: str) -> None:
    try:
        apply_override(raw, item)
    except CaseError as exc:
        raise CaseError(f"{where}.set: {exc}") from None


def _merge(raw: dict, snippet: dict) -> None:
    """The snippet's innermost tables replace the case's (a concavity profile replaces the
    analytic depth instead of sitting beside it); its other tables are walked into."""
    for key, value in snippet.items():
        if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
            node = raw.setdefault(key, {})
            if not isinstance(node, dict):
                raise CaseError(f"merge: {key} is a table in the snippet and a value in the case")
            _merge(node, value)
        else:
            raw[key] = value


def _unmet(step: FlowStep, results: dict) -> str | None:
    for item in step.require:
        key, op, text = REQUIREMENT.match(item).groups()
        if key not in results:
            return f"{item}: the step has no result {key!r}"
        want = tomllib.loads(f"v = {text}")["v"]
        if not COMPARE[op](results[key], float(want)):
            got = results[key]
            return f"{item} (got {key} = {got:.6g})"
    return None


def _key_results(step: FlowStep, kind: str, data: dict) -> dict:
    if step.show is None:
        return KINDS[kind].key_results_of(data)
    return {k: data["results"][k] for k in step.show if k in data["results"]}


# -- the flow's summary --------------------------------------------------------------------
def _write(flow, out, comm, records, status, t0, source, reason) -> dict:
    flat = {f"{r['step']}.{k}": v for r in records for k, v in r.get("key_results", {}).items()}
    extra = {"reason": reason, "failed_step": next(r["step"] for r in records if r.get("reason"))} if reason else {}
    data = summary(flow.name, "flow", status, comm.size, sum(r.get("dofs", 0) for r in records),
                   time.perf_counter() - t0, flat, source=source, steps=records, **extra)
    if comm.rank == 0:
        atomic_write_json(out / "summary.json", data)
        write_report(out, also=[write_resolved_toml(out, flow, source)])
    comm.barrier()
    data["out"] = str(out)
    return data


def _previous_steps(out: Path, comm) -> dict:
    return {r["step"]: r for r in _read_json(out / "summary.json", comm).get("steps", []) if r.get("status") == "ok"}


def _complete(folder: Path, comm) -> bool:
    return _read_summary(folder, comm).get("status") == "ok"


def _read_summary(folder: Path, comm) -> dict:
    return _read_json(folder / "summary.json", comm)


def _checkpoint_digest(folder: Path, comm) -> str | None:
    return _read_json(folder / "checkpoint.json", comm).get("digest")


def _read_json(path: Path, comm) -> dict:
    """A JSON file as rank 0 reads it ({} if there is none), on every rank."""
    data = None
    if comm.rank == 0:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
    return comm.bcast(data, root=0)
