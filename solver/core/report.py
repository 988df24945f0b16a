"""``python -m solver.core.report OUT/summary.json``: a few lines on what a run found."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def report(path: str) -> str:
    data = json.loads(Path(path).read_text())
    r = data["results"]
    lines = [f"{data['case']} ({data['kind']}): {data['status']}, {data['dofs']} dofs on {data['ranks']} "
             f"rank(s), {data['wall_s']:.1f} s"]
    if "warpage_um" in r:
        lines.append(f"  warpage {r['warpage_um']:.1f} um, curvature {r['curvature_1_per_m']:.4g} 1/m "
                     f"(radius {abs(1 / r['curvature_1_per_m']):.3g} m)" if r.get("curvature_1_per_m") else
                     f"  warpage {r['warpage_um']:.1f} um")
        worst = max((k for k in r if k.startswith("mean_von_mises_")), key=lambda k: r[k], default=None)
        if worst:
            region = worst[len("mean_von_mises_"):-len("_MPa")]
            lines.append(f"  highest mean von Mises stress: {region}, {r[worst]:.1f} MPa "
                         f"(max principal {r[f'max_principal_{region}_MPa']:.1f} MPa)")
    for key, ref in (data.get("reference") or {}).items():
        lines.append(f"  {key}: {r[key]:.8g} vs closed form {ref:.8g}")
    for w in data.get("warnings", []):
        lines.append(f"  warning: {w}")
    out = Path(path).parent
    pictures = sorted(p.name for p in out.glob("*.png"))
    fields = sorted(f"fields/{p.name}" for p in (out / "fields").glob("*.pvd"))
    lines.append(f"  files in {out}/: summary.json, {', '.join(pictures + fields)}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(sys.argv[1] if len(sys.argv) > 1 else "results/demo/summary.json"))
