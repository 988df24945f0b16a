"""Pictures of a reliability run (rank 0 draws): the hysteresis loop at the probe and the
warpage against temperature."""

from __future__ import annotations

import numpy as np

from solver.core.plots import plt, save

COMPONENTS = ("xx", "yy", "zz", "yz", "xz", "xy")


def warpage_picture(path, records, title: str) -> bool:
    w = np.array([r.warpage for r in records])
    if not np.isfinite(w).any():
        return False
    T = np.array([r.temperature for r in records]) - 273.15
    k = np.array([r.curvature for r in records])
    w = np.where(np.isfinite(k) & (k < 0), -w, w)  # signed: a dome (convex top) positive
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.plot(T, 1e6 * w, "-", lw=1.2, color="tab:blue")
    ax.plot(T[0], 1e6 * w[0], "o", color="tab:green", label="start")
    ax.plot(T[-1], 1e6 * w[-1], "s", color="tab:red", label="end")
    ax.set_xlabel("temperature (degC)")
    ax.set_ylabel("warpage (um), + dome / - bowl")
    ax.set_title(f"{title}: warpage against temperature")
    ax.grid(alpha=0.3)
    ax.legend()
    return save(fig, path)


def hysteresis_picture(path, records, probe, title: str) -> bool:
    """Stress against mechanical strain for the component whose inelastic strain moves
    most (the shear of a joint under thermal mismatch, usually)."""
    sig = np.array([r.probe["stress"] for r in records])
    eps = np.array([r.probe["strain"] for r in records])
    ein = np.array([r.probe["inelastic_strain"] for r in records])
    k = int(np.argmax(np.ptp(ein, axis=0))) if np.ptp(ein) > 0 else int(np.argmax(np.ptp(sig, axis=0)))
    scale = 1.0 if k < 3 else 2 ** -0.5  # Mandel -> tensor component
    gamma = 1.0 if k < 3 else 2.0  # engineering shear strain
    cyc = np.array([r.cycle for r in records])
    fig, ax = plt.subplots(figsize=(6, 4.6))
    for c in np.unique(cyc):
        m = cyc == c
        label = "before the first cycle" if c < 0 else f"cycle {c + 1}"
        ax.plot(gamma * scale * eps[m, k] * 100, scale * sig[m, k] / 1e6, "-", lw=1.2, label=label)
    ax.set_xlabel(f"mechanical strain {'gamma' if k >= 3 else 'eps'}_{COMPONENTS[k]} (%)")
    ax.set_ylabel(f"stress sigma_{COMPONENTS[k]} (MPa)")
    x = 1e6 * probe.position
    ax.set_title(f"{title}: hysteresis in {probe.region} at ({', '.join(f'{v:.0f}' for v in x)}) um")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, path)
