"""Materials of wafer-level packaging, in SI units, each with its sources.

Values are room-temperature handbook or datasheet values for isotropic, linear models.
Where a property scatters with process (electrodeposits, filled resins) the docstring gives
the reported range and the value chosen. A case may override any value or define a new
material from a base (``[materials.NAME]`` in the case file).

``cte_valid`` is the temperature range over which the constant CTE stays within about 10 %
of the stated value (for resins: below the glass transition); a load outside it is reported
as a warning. ``valence`` and ``molar_mass`` serve Faraday's law for plated metals
(``valence`` None: not electroplated)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

C0 = 273.15  # K at 0 degC


@dataclass(frozen=True)
class Material:
    name: str
    E: float  # Young's modulus, Pa
    nu: float  # Poisson's ratio
    cte: float  # linear thermal expansion coefficient, 1/K
    cte_valid: tuple[float, float]  # K
    density: float  # kg/m^3
    molar_mass: float  # kg/mol
    valence: int | None  # electrons per deposited atom
    resistivity: float  # ohm m
    source: str = ""
    # Temperature dependence (optional): piecewise-linear E(T) and instantaneous CTE(T)
    # tables of (K, value), held constant beyond their ends. Resins drop ~100x in
    # modulus and triple their CTE above the glass transition.
    E_table: tuple[tuple[float, float], ...] | None = None
    cte_table: tuple[tuple[float, float], ...] | None = None

    @property
    def biaxial_modulus(self) -> float:
        return self.E / (1.0 - self.nu)

    def E_at(self, T: float) -> float:
        """Young's modulus at temperature T (K)."""
        if self.E_table is None:
            return self.E
        t, e = zip(*self.E_table)
        return float(np.interp(T, t, e))

    def cte_at(self, T: float) -> float:
        """Instantaneous CTE at T (K)."""
        if self.cte_table is None:
            return self.cte
        t, a = zip(*self.cte_table)
        return float(np.interp(T, t, a))

    def thermal_strain(self, T_from: float, T_to: float) -> float:
        """Free thermal strain from T_from to T_to: the instantaneous CTE integrated along
        the temperature path (exact for the piecewise-linear table)."""
        if self.cte_table is None:
            return self.cte * (T_to - T_from)
        lo, hi = sorted((T_from, T_to))
        t = np.array([p[0] for p in self.cte_table])
        knots = np.unique(np.concatenate([[lo, hi], t[(t > lo) & (t < hi)]]))
        vals = np.array([self.cte_at(x) for x in knots])
        integral = float(np.sum(0.5 * (vals[1:] + vals[:-1]) * np.diff(knots)))
        return integral if T_to >= T_from else -integral

    def breakpoints(self) -> list[float]:
        """Temperatures (K) where the property tables change slope."""
        pts = [p[0] for p in (self.E_table or ())] + [p[0] for p in (self.cte_table or ())]
        return sorted(set(pts))

    def with_overrides(self, name: str, **values) -> "Material":
        return replace(self, name=name, **{k: v for k, v in values.items() if v is not None})

    def as_dict(self) -> dict:
        d = asdict(self)
        d["cte_valid"] = list(self.cte_valid)
        for k in ("E_table", "cte_table"):
            if d[k] is not None:
                d[k] = [list(p) for p in d[k]]
        return d


def silicon() -> Material:
    """Single-crystal silicon wafer, (100) orientation, isotropic equivalent.

    E = 130 GPa and nu = 0.28 reproduce the (100) biaxial modulus E/(1-nu) = 180.5 GPa that
    governs wafer bow (Hopcroft, Nix, Kenny, "What is the Young's modulus of silicon?",
    J. Microelectromech. Syst. 19 (2010) 229). CTE 2.6 ppm/K at 300 K, rising to 3.2 ppm/K
    at 400 K (Okada, Tokumaru, J. Appl. Phys. 56 (1984) 314); constant within 10 % from
    220 K to 400 K. Density 2329 kg/m^3, M = 28.0855 g/mol (CRC Handbook of Chemistry and
    Physics). Resistivity: a moderately doped CMOS substrate, 10 ohm cm (doping-dependent).
    """
    return Material("Si", 130e9, 0.28, 2.6e-6, (220.0, 400.0), 2329.0, 28.0855e-3, None, 0.1,
                    "Hopcroft 2010; Okada & Tokumaru 1984; CRC Handbook")


def copper() -> Material:
    """Bulk (wrought, annealed) copper.

    E = 117 GPa, nu = 0.34; CTE 16.5 ppm/K at 20 degC, 17.6 ppm/K at 300 degC; density
    8960 kg/m^3; M = 63.546 g/mol; resistivity 1.678 uohm cm at 20 degC (CRC Handbook of
    Chemistry and Physics; ASM Handbook vol. 2). Cu2+ from acid sulfate: valence 2."""
    return Material("Cu", 117e9, 0.34, 16.5e-6, (C0 - 60.0, C0 + 300.0), 8960.0, 63.546e-3, 2, 1.678e-8,
                    "CRC Handbook; ASM Handbook vol. 2")


def copper_electroplated() -> Material:
    """Electroplated copper from an acid-sulfate bath (seed thickening, wiring, bumps).

    Reported moduli of electrodeposits scatter from 85 to 125 GPa with grain size and
    texture (Read, Cheng, Geiss, Microelectron. Eng. 75 (2004) 63; Huang, Spaepen, J. Mater.
    Res. 15 (2000) 1735); 110 GPa is chosen. CTE 17 ppm/K, nu 0.34 as bulk Cu. As-plated
    resistivity 1.9-2.2 uohm cm before self-annealing; 1.9 uohm cm chosen. Density 8920
    kg/m^3 (slightly below bulk from incorporated voids and additives)."""
    return Material("Cu_plated", 110e9, 0.34, 17.0e-6, (C0 - 60.0, C0 + 300.0), 8920.0, 63.546e-3, 2,
                    1.9e-8, "Read et al. 2004; Huang & Spaepen 2000")


def gold() -> Material:
    """Gold (wire-bonded stud bumps, plated bump material).

    E = 79 GPa, nu = 0.44; CTE 14.2 ppm/K; density 19300 kg/m^3; M = 196.967 g/mol;
    resistivity 2.214 uohm cm at 20 degC (CRC Handbook). Plated from Au(I) sulfite or
    cyanide baths: valence 1."""
    return Material("Au", 79e9, 0.44, 14.2e-6, (C0 - 100.0, C0 + 400.0), 19300.0, 196.967e-3, 1, 2.214e-8,
                    "CRC Handbook")


def nickel() -> Material:
    """Nickel (barrier film, barrier cap).

    E = 200 GPa, nu = 0.31; CTE 13.4 ppm/K at 25 degC; density 8908 kg/m^3; M = 58.693
    g/mol; resistivity 6.93 uohm cm (CRC Handbook). Sulfamate electrodeposits: 180-210 GPa.
    Ni2+: valence 2."""
    return Material("Ni", 200e9, 0.31, 13.4e-6, (C0 - 60.0, C0 + 300.0), 8908.0, 58.693e-3, 2, 6.93e-8,
                    "CRC Handbook")


def cobalt() -> Material:
    """Cobalt (alternative barrier film).

    E = 209 GPa, nu = 0.31; CTE 13.0 ppm/K; density 8900 kg/m^3; M = 58.933 g/mol;
    resistivity 6.24 uohm cm (CRC Handbook). Co2+: valence 2."""
    return Material("Co", 209e9, 0.31, 13.0e-6, (C0 - 60.0, C0 + 300.0), 8900.0, 58.933e-3, 2, 6.24e-8,
                    "CRC Handbook")


def tin_silver_solder() -> Material:
    """Sn-3.5Ag eutectic lead-free solder (bump fill, solder balls).

    E = 50 GPa at room temperature (strongly rate- and temperature-dependent), nu = 0.40,
    CTE 22 ppm/K, density 7360 kg/m^3, resistivity 12.3 uohm cm (Siewert, Liu, Smith,
    Madeni, NIST "Database for solder properties with emphasis on new lead-free solders",
    2002). Faraday data are those of tin (M = 118.71 g/mol, Sn2+: valence 2), the 3.5 wt %
    silver changing the deposited volume per charge by under 2 %."""
    return Material("SnAg", 50e9, 0.40, 22.0e-6, (C0 - 55.0, C0 + 150.0), 7360.0, 118.71e-3, 2, 12.3e-8,
                    "NIST solder database (Siewert et al. 2002)")


def aluminium() -> Material:
    """Aluminium (electrode pads).

    E = 70 GPa, nu = 0.33; CTE 23.1 ppm/K; density 2700 kg/m^3; M = 26.982 g/mol;
    resistivity 2.65 uohm cm (CRC Handbook). Al3+: valence 3 (not plated from water)."""
    return Material("Al", 70e9, 0.33, 23.1e-6, (C0 - 60.0, C0 + 300.0), 2700.0, 26.982e-3, None, 2.65e-8,
                    "CRC Handbook")


def epoxy_resin_sheet() -> Material:
    """Epoxy adhesive resin sheet (resin-sealing layer), cured, below its glass transition.

    Unfilled bisphenol-A based epoxies: E 2.5-3.5 GPa, nu 0.33-0.38, CTE 55-65 ppm/K below
    Tg, Tg 120-170 degC, density 1.15-1.25 g/cm^3, volume resistivity 1e15-1e17 ohm cm
    (Pascault, Williams, Epoxy Polymers, Wiley 2010; Lau, Flip Chip Technologies,
    McGraw-Hill 1996). Chosen: 3.0 GPa, 0.35, 60 ppm/K valid from -55 degC to Tg = 150
    degC, 1200 kg/m^3, 1e14 ohm m. Silica-filled sheets are stiffer with lower CTE:
    override per case."""
    return Material("epoxy_resin_sheet", 3.0e9, 0.35, 60e-6, (C0 - 55.0, C0 + 150.0), 1200.0, 0.0, None,
                    1e14, "Pascault & Williams 2010; Lau 1996")


def solder_resist() -> Material:
    """Photo-imageable epoxy-acrylate solder resist, cured.

    E 2.5-4 GPa, CTE 45-65 ppm/K below Tg (about 100-120 degC), density about 1.4 g/cm^3
    (filled), volume resistivity above 1e12 ohm m (IPC-SM-840 qualification ranges; Taiyo
    PSR-4000 series datasheets). Chosen: 3.0 GPa, nu 0.35, 55 ppm/K valid -55..110 degC."""
    return Material("solder_resist", 3.0e9, 0.35, 55e-6, (C0 - 55.0, C0 + 110.0), 1400.0, 0.0, None, 1e12,
                    "IPC-SM-840; Taiyo PSR-4000 datasheets")


def polyimide() -> Material:
    """Polyimide film (insulating film with holes, process B), Kapton HN type.

    E = 2.5 GPa, nu = 0.34, CTE 20 ppm/K from -14 to 38 degC, density 1420 kg/m^3, volume
    resistivity 1.5e17 ohm cm (DuPont Kapton HN datasheet, general specifications H-38492).
    The CTE rises above 38 degC, so the constant-CTE validity is the datasheet's -14..38
    degC: cool-downs from higher temperatures are flagged; give a secant CTE per case."""
    return Material("polyimide", 2.5e9, 0.34, 20e-6, (C0 - 14.0, C0 + 38.0), 1420.0, 0.0, None, 1.5e15,
                    "DuPont Kapton HN datasheet H-38492")


LIBRARY = {
    m().name: m
    for m in (
        silicon,
        copper,
        copper_electroplated,
        gold,
        nickel,
        cobalt,
        tin_silver_solder,
        aluminium,
        epoxy_resin_sheet,
        solder_resist,
        polyimide,
    )
}


def library_material(name: str) -> Material:
    return LIBRARY[name]()
