"""``python -m solver.workflow.report OUT/summary.json``: what a run found, in a few lines on a
terminal (``make demo`` prints it; OUT/report.html is the full page).

A stress result (warpage and region stresses) gets a table by load step: temperature, warpage, the mean von Mises stress of
each region (means over the region: the peaks at corners and edges are singular and depend
on the mesh) and, for a package, the corner bump against the centre bump. Other kinds list
their key results with units, and the closed form where the case has one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from solver.core.run_report import description_of, unit_of


def report(path: str) -> str:
    path = Path(path)
    data = json.loads(path.read_text())
    out = path.parent
    lines = [f"{data['case']} ({data['kind']}): {data['status']}, {data['dofs']:,} dofs on {data['ranks']} "
             f"rank{'s' if data['ranks'] != 1 else ''}, {data['wall_s']:.1f} s"]
    description = description_of(out)
    if description:
        lines.append(f"  {description}")
    r = data["results"]
    steps = [s["name"] for s in data.get("steps", []) if isinstance(s, dict) and "temperature_degC" in s]
    prefixes = [f"{s}_" for s in steps] if any(f"{s}_warpage_um" in r for s in steps) else [""]
    if f"{prefixes[0]}warpage_um" in r and any(k.startswith(f"{prefixes[0]}mean_von_mises_") for k in r):
        lines += _stress_table(r, prefixes, steps if prefixes != [""] else ["load"])
    else:
        from solver.workflow.registry import KINDS

        kind = KINDS.get(data["kind"])
        shown = kind.key_results_of(data) if kind is not None else {}
        for key, value in shown.items():
            name, unit = unit_of(key)
            lines.append(f"  {name}: {value:.6g} {unit}".rstrip())
    for key, ref in (data.get("reference") or {}).items():
        lines.append(f"  {key}: {r[key]:.8g} vs closed form {ref:.8g}")
    for w in data.get("warnings", []):
        lines.append(f"  warning: {w}")
    files = [f for f in data.get("files", []) if f not in ("summary.json", "report.html")]
    plain = sorted(f for f in files if "/" not in f)
    fields = sorted(f.split("/", 1)[1] for f in files if f.startswith("fields/") and f.endswith(".pvd"))
    lines.append(f"  open {out}/report.html; also there: {', '.join(plain)}")
    if fields:
        lines.append(f"  fields for ParaView, meshio, pyvista: {out}/fields/ ({', '.join(fields)})")
    return "\n".join(lines)


def _stress_table(r: dict, prefixes: list[str], names: list[str]) -> list[str]:
    regions = [k[len(prefixes[0]) + len("mean_von_mises_"):-len("_MPa")] for k in r
               if k.startswith(f"{prefixes[0]}mean_von_mises_") and k.endswith("_MPa")]
    head = f"  {'':<34}" + "".join(f"{n:>10}" for n in names)
    rows = [head]

    def row(label: str, key: str, fmt: str = "{:10.1f}") -> None:
        values = [r.get(f"{p}{key}") for p in prefixes]
        if all(v is not None for v in values):
            rows.append(f"  {label:<34}" + "".join(fmt.format(v) for v in values))

    row("temperature (degC)", "temperature_degC")
    row("warpage (um)", "warpage_um", "{:10.2f}")
    for i, region in enumerate(regions):
        row(f"{'mean von Mises (MPa)' if i == 0 else '':<22}{region:>12}", f"mean_von_mises_{region}_MPa")
    row("bump/resin interface shear (MPa)", "interface_bump_resin_mean_shear_MPa")
    row("corner bump (MPa)", "corner_bump_mean_von_mises_MPa")
    row("centre bump (MPa)", "centre_bump_mean_von_mises_MPa")
    return rows


if __name__ == "__main__":
    print(report(sys.argv[1] if len(sys.argv) > 1 else "results/demo/summary.json"))
