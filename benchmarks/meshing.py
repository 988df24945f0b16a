"""Meshing benchmark -> benchmarks/results/meshing.json (``make bench``).

For every geometry case in cases/geometry/: build + mesh time, cells per region, nodes and
quality. Then the 3D CSP unit (one diced package) refined to about 1M tetrahedra, meshed
on 1 thread (reproducible, the default) and on 2 threads (faster, not bit-reproducible).

    python benchmarks/meshing.py [--unit-size "14 um"]
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from pydantic import TypeAdapter  # noqa: E402

from meshes import GeometrySpec, build_mesh, gmsh_session  # noqa: E402
from solver.core.output import atomic_write_json  # noqa: E402


def measure(spec, threads: int = 1) -> dict:
    import gmsh

    with gmsh_session():
        t0 = time.perf_counter()
        built = build_mesh(spec, threads=threads)
        seconds = time.perf_counter() - t0
        q = np.concatenate([gmsh.model.mesh.getElementQualities(t, "minSICN")
                            for t in gmsh.model.mesh.getElements(built.dimension)[1] if len(t)])
    return {
        "mesh_s": round(seconds, 2), "threads": threads, "cells": int(sum(built.element_counts.values())),
        "cells_per_region": built.element_counts, "nodes": built.nodes,
        "quality_min": round(float(q.min()), 4), "quality_p1": round(float(np.percentile(q, 1)), 4),
        "quality_mean": round(float(q.mean()), 4),
        "cells_per_s": round(sum(built.element_counts.values()) / seconds),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--unit-size", default="14 um", help="element size of the 1M-tet CSP unit")
    args = p.parse_args()
    records = []
    for path in sorted((ROOT / "cases" / "geometry").glob("*.toml")):
        raw = tomllib.loads(path.read_text())
        spec = TypeAdapter(GeometrySpec).validate_python(raw["geometry"])
        rec = {"case": path.stem, "dimension": spec.dimension, **measure(spec)}
        records.append(rec)
        print(json.dumps({k: v for k, v in rec.items() if k != "cells_per_region"}), flush=True)
    raw = tomllib.loads((ROOT / "cases" / "geometry" / "csp_diced.toml").read_text())
    g = copy.deepcopy(raw["geometry"])
    g["element_size"] = args.unit_size
    unit = TypeAdapter(GeometrySpec).validate_python(g)
    for threads in (1, 2):
        rec = {"case": f"csp_unit_1M (csp_diced, element_size {args.unit_size})", "dimension": 3,
               **measure(unit, threads)}
        records.append(rec)
        print(json.dumps({k: v for k, v in rec.items() if k != "cells_per_region"}), flush=True)
    out = ROOT / "benchmarks" / "results" / "meshing.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out, {"date": time.strftime("%Y-%m-%d"), "python": platform.python_version(),
                            "machine": platform.machine(), "records": records})
    return 0


if __name__ == "__main__":
    sys.exit(main())
