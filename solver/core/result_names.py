"""The names of the results a case will report, known before it runs.

A flow's ``show`` and ``require`` and its ``{step.result}`` references, and a sweep's
``responses``, name results of cases that have not run yet; a typo there used to pass and
show nothing (or stop the flow hours later). Each kind declares its result names as
templates whose placeholders the case fills in (its regions, load steps, averaging volumes):
``{step}max_von_mises_{region}_MPa``. A name no template produces is refused before any
work, with the names the case does report.

The declaration is checked against what runs report: the test fixtures that run cases
assert that every result of every summary is declared (tests/conftest.py)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from solver.core.case import CaseError


@dataclass(frozen=True)
class ResultNames:
    """``templates``: result names with ``{placeholder}`` parts; ``values``: what each
    placeholder stands for in this case (a value may be empty: ``{step}`` of a one-step
    load path). A placeholder without values matches any name (``\\w+``)."""

    templates: tuple[str, ...]
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def pattern(self, template: str) -> re.Pattern:
        parts = re.split(r"\{(\w+)\}", template)
        regex = ""
        for i, part in enumerate(parts):
            if i % 2 == 0:
                regex += re.escape(part)
            else:
                options = self.values.get(part)
                regex += "(?:" + "|".join(re.escape(v) for v in sorted(options, key=len, reverse=True)) + ")" \
                    if options is not None else r"\w+"
        return re.compile(regex)

    def knows(self, name: str) -> bool:
        return any(self.pattern(t).fullmatch(name) for t in self.templates)

    def listing(self, limit: int = 12) -> str:
        """A few names as the case will report them, for a message."""
        shown = []
        for template in self.templates:
            names = re.findall(r"\{(\w+)\}", template)
            # a named value reads better than an empty one ("room_" rather than no step)
            choices = [[v for v in self.values.get(n) or (f"<{n}>",) if v][-1:] or [""] for n in names]
            for combo in itertools.islice(itertools.product(*choices), 1):
                text = template
                for n, v in zip(names, combo):
                    text = text.replace("{" + n + "}", v, 1)
                shown.append(text)
        more = f", ... ({len(self.templates)} kinds of result)" if len(shown) > limit else ""
        return ", ".join(shown[:limit]) + more


def check_names(declared: ResultNames | None, names: list[str], where: str, what: str) -> None:
    """CaseError naming the first of ``names`` (the list ``where``) that ``declared`` does not know."""
    check_fields(declared, [(f"{where}[{i}]", name) for i, name in enumerate(names)], what)


def check_fields(declared: ResultNames | None, fields: list[tuple[str, str]], what: str) -> None:
    """CaseError naming the first (field, result name) whose name ``declared`` does not know."""
    if declared is None:
        return
    for where, name in fields:
        if not declared.knows(name):
            raise CaseError(f"{where}: {name!r} is not a result {what} reports; it reports e.g. "
                            f"{declared.listing()}")
