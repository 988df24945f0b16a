"""``OUT/report.html``: one self-contained page per run that a colleague can open from a
mail attachment: the case, its status, the results with their units (and the closed form
where the case has one), warnings, the pictures embedded, the solver's statistics, where
the result came from, and the files beside it. A flow's page lists its steps and links
their pages. Built from what the run wrote (summary.json and its pictures), nothing else."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

_UNITS = [  # result-key suffix -> unit shown (longest first where one ends another)
    ("_A_per_m2", "A/m²"), ("_1_per_m", "1/m"), ("_kJ_per_m3", "kJ/m³"), ("_J_per_m3", "J/m³"),
    ("_um3", "µm³"), ("_um2", "µm²"), ("_m2", "m²"), ("_ohm", "Ω"), ("_MPa", "MPa"), ("_GPa", "GPa"),
    ("_degC", "°C"), ("_um", "µm"), ("_nm", "nm"), ("_mm", "mm"), ("_min", "min"), ("_s", "s"),
    ("_A", "A"), ("_V", "V"), ("_K", "K"), ("_percent", "%"), ("_cycles", "cycles"),
]

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.status { display: inline-block; padding: 0.1em 0.6em; border-radius: 0.3em; color: #fff; font-weight: 600; }
.ok { background: #2a7d2a; } .failed, .error { background: #b02020; } .interrupted, .running { background: #b07000; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { padding: 0.2em 0.8em; border-bottom: 1px solid #eee;
text-align: left; vertical-align: top; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.warn { background: #fff4d6; border-left: 4px solid #d09000; padding: 0.4em 0.8em; margin: 0.3em 0; }
figure { display: inline-block; margin: 0.5em 1em 0.5em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #555; } code { background: #f4f4f4; padding: 0 0.2em; }
"""


def unit_of(key: str) -> tuple[str, str]:
    """(quantity, unit) of a result key: ``max_von_mises_MPa`` -> (``max von Mises``, ``MPa``)."""
    for suffix, unit in _UNITS:
        if key.endswith(suffix):
            return key[: -len(suffix)].replace("_", " "), unit
    return key.replace("_", " "), ""


def report_html(data: dict, folder: Path) -> str:
    """The page for the summary ``data`` of the run whose files are in ``folder``."""
    e = html.escape
    status = str(data.get("status", "?"))
    description = description_of(folder)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(str(data.get('case')))}"
             f" - sprout</title><style>{_STYLE}</style></head><body>",
             f"<h1>{e(str(data.get('case')))} <span class='status {e(status)}'>{e(status)}</span></h1>",
             f"<p>{e(str(data.get('kind')))} case <code>{e(str(data.get('source', '')))}</code>"
             f"{': ' + e(description) if description else ''}</p>"]
    for key in ("error", "reason"):
        if data.get(key):
            parts.append(f"<div class='warn'>{e(str(data[key]))}</div>")
    parts += _warnings(data) + _results(data) + _steps(data) + _pictures(folder) + _statistics(data)
    parts += _provenance(data) + _files(data, folder)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def description_of(folder: Path) -> str:
    """The case's description, from the run folder's case.resolved.json ('' if none)."""
    try:
        return json.loads((folder / "case.resolved.json").read_text())["case"].get("description", "") or ""
    except (OSError, ValueError, KeyError, AttributeError):
        return ""


def _warnings(data: dict) -> list[str]:
    items = [w for w in data.get("warnings", []) if w]
    if not items:
        return []
    return ["<h2>Warnings</h2>"] + [f"<div class='warn'>{html.escape(str(w))}</div>" for w in items]


def _results(data: dict) -> list[str]:
    results, reference = data.get("results") or {}, data.get("reference") or {}
    if not results:
        return []
    head = "<tr><th>result</th><th>value</th><th>unit</th>"
    head += "<th>closed form</th><th>rel. difference</th></tr>" if reference else "</tr>"
    rows = []
    for key, value in results.items():
        name, unit = unit_of(key)
        row = f"<tr><td title='{html.escape(key)}'>{html.escape(name)}</td><td class='num'>{_num(value)}</td>" \
              f"<td>{html.escape(unit)}</td>"
        if reference:
            ref = reference.get(key)
            rel = abs(value - ref) / abs(ref) if ref not in (None, 0) and _finite(value) else None
            row += f"<td class='num'>{_num(ref) if ref is not None else ''}</td>" \
                   f"<td class='num'>{f'{rel:.2e}' if rel is not None else ''}</td>"
        rows.append(row + "</tr>")
    note = ("<p>Values at edges and singular points are averaged over the region the case states (see the "
            "README's <i>Fields</i> section); a field's raw maximum there can be larger and is a mesh artefact.</p>")
    return ["<h2>Results</h2>", note, f"<table>{head}{''.join(rows)}</table>"]


def _steps(data: dict) -> list[str]:
    steps = [s for s in data.get("steps", []) if isinstance(s, dict) and "status" in s]
    if not steps:
        return []
    rows = []
    for s in steps:
        folder = s.get("out") or s.get("folder")
        link = ""
        if folder:
            rel = Path(folder).name
            link = f"<a href='{html.escape(rel)}/report.html'>{html.escape(rel)}</a>"
        rows.append(f"<tr><td>{html.escape(str(s.get('step', s.get('name', ''))))}</td>"
                    f"<td>{html.escape(str(s.get('kind', '')))}</td><td>{html.escape(str(s['status']))}</td>"
                    f"<td class='num'>{_num(s.get('wall_s'))}</td><td>{link}</td></tr>")
    return ["<h2>Steps</h2>", "<table><tr><th>step</th><th>kind</th><th>status</th><th>s</th><th>report</th></tr>"
            + "".join(rows) + "</table>"]


def _pictures(folder: Path) -> list[str]:
    figures = []
    for png in sorted(folder.glob("*.png")):
        try:
            encoded = base64.b64encode(png.read_bytes()).decode("ascii")
        except OSError:
            continue
        figures.append(f"<figure><img alt='{html.escape(png.name)}' src='data:image/png;base64,{encoded}'>"
                       f"<figcaption>{html.escape(png.name)}</figcaption></figure>")
    return ["<h2>Pictures</h2>"] + figures if figures else []


def _statistics(data: dict) -> list[str]:
    rows = [("ranks", data.get("ranks")), ("degrees of freedom", data.get("dofs")), ("wall time (s)", data.get("wall_s")),
            ("peak memory per rank (MB)", data.get("peak_memory_per_rank_MB"))]
    for group in ("solver", "mesh"):
        for k, v in (data.get(group) or {}).items():
            if isinstance(v, (int, float, str, bool)):
                rows.append((f"{group}: {k.replace('_', ' ')}", v))
    body = "".join(f"<tr><td>{html.escape(k)}</td><td class='num'>{_num(v)}</td></tr>" for k, v in rows
                   if v is not None)
    return ["<h2>Solver</h2>", f"<table>{body}</table>"]


def _provenance(data: dict) -> list[str]:
    rows = list((data.get("provenance") or {}).items()) + [(f"{k} version", v) for k, v in
                                                           (data.get("versions") or {}).items()]
    if not rows:
        return []
    body = "".join(f"<tr><td>{html.escape(str(k).replace('_', ' '))}</td><td><code>{html.escape(str(v))}</code>"
                   f"</td></tr>" for k, v in rows)
    return ["<h2>Provenance</h2>", f"<table>{body}</table>"]


def _files(data: dict, folder: Path) -> list[str]:
    names = [n for n in data.get("files", []) if isinstance(n, str)]
    if not names:
        return []
    items = "".join(f"<li><a href='{html.escape(n)}'>{html.escape(n)}</a></li>" for n in names)
    return ["<h2>Files</h2>", f"<ul>{items}</ul>"]


def _num(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return html.escape(str(v)) if v is not None else ""
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:.6g}"


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and v == v and abs(v) != float("inf")


def write_report(folder: Path, also: list[str] | tuple[str, ...] = ()) -> None:
    """report.html beside the summary.json in ``folder`` (atomic); the summary lists it, and
    ``also`` (files written after the summary), among its files."""
    from solver.core.output import atomic_write_text, list_in_summary

    data = list_in_summary(folder, *also, "report.html")
    atomic_write_text(folder / "report.html", report_html(data, folder))
