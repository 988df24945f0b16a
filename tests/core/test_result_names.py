"""Result names declared before a run: templates filled with the case's own names."""

from __future__ import annotations

import pytest

from solver.core.case import CaseError
from solver.core.result_names import ResultNames, check_names
from solver.workflow.registry import KINDS, load_case


def test_templates_take_the_cases_names_only():
    names = ResultNames(("{step}max_von_mises_{region}_MPa", "cells_{region}", "any_{thing}"),
                        {"step": ("", "room_", "cold_"), "region": ("die", "bump", "bump_2")})
    for good in ("max_von_mises_die_MPa", "room_max_von_mises_bump_2_MPa", "cells_bump", "any_x1"):
        assert names.knows(good), good
    for bad in ("hot_max_von_mises_die_MPa", "max_von_mises_bmup_MPa", "cells_", "room_max_von_mises_MPa"):
        assert not names.knows(bad), bad


def test_a_shipped_package_declares_what_its_run_reports(cases):
    """csp_cooldown's load path (room, cold, hot) and regions fill the templates: a typo in a
    region or step is not a result; the message lists names as the case reports them."""
    case = load_case(cases / "csp_cooldown.toml")
    declared = KINDS["thermoelastic"].declared_results(case)
    assert declared.knows("cold_interface_bump_resin_mean_shear_MPa")
    assert declared.knows("room_corner_bump_mean_von_mises_MPa")
    assert not declared.knows("cool_warpage_um")
    with pytest.raises(CaseError, match=r"show\[1\]: 'room_warpage_mm' is not a result .* hot_warpage_um"):
        check_names(declared, ["room_warpage_um", "room_warpage_mm"], "show", "of this case")
