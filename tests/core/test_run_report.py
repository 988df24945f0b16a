"""OUT/report.html: a self-contained page per run (its pictures inside it), units read off
the result keys, user text escaped."""

from __future__ import annotations

import base64

from solver.core.run_report import report_html, unit_of


def test_units_are_read_off_the_result_keys():
    assert unit_of("max_von_mises_MPa") == ("max von mises", "MPa")
    assert unit_of("mean_current_density_A_per_m2") == ("mean current density", "A/m²")
    assert unit_of("curvature_1_per_m") == ("curvature", "1/m")
    assert unit_of("worst_life_darveaux_cycles") == ("worst life darveaux", "cycles")
    assert unit_of("growth_steps") == ("growth steps", "")


def test_the_page_embeds_pictures_compares_closed_forms_and_escapes(tmp_path):
    """A summary with a closed form gets the relative difference beside it; a PNG in OUT is
    inside the page as data (the page opens anywhere on its own); text from the case (a
    name or warning with markup) is shown, never interpreted."""
    png = b"\\x89PNG\\r\\n\\x1a\\nnot really a picture"
    (tmp_path / "stress.png").write_bytes(png)
    data = {"case": "<b>strip</b>", "kind": "thermoelastic", "status": "ok", "ranks": 2, "dofs": 5474,
            "wall_s": 1.5, "results": {"curvature_1_per_m": -2.0, "warpage_um": 104.1},
            "reference": {"curvature_1_per_m": -2.1}, "warnings": ["<script>x</script> beyond theory"],
            "provenance": {"host": "node7"}, "versions": {"dolfinx": "0.11"}, "files": ["summary.json"]}
    page = report_html(data, tmp_path)
    assert "<b>strip</b>" not in page and "&lt;b&gt;strip&lt;/b&gt;" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert base64.b64encode(png).decode() in page
    assert "4.76e-02" in page  # |-2.0 - -2.1| / 2.1
    assert "node7" in page and "5,474" in page
