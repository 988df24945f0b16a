"""Cited constant sets for the inelastic models, SI units.

Solder constants in the literature scatter by orders of magnitude between alloys, test
methods and fits, so the Anand and creep laws have no defaults: a case names one of these
sets or gives every constant itself. Each set states where its numbers come from; a set
that is only an example says so and is for demonstrations, not for a life estimate."""

from __future__ import annotations

from solver.mechanics.inelastic.plasticity import Hardening, J2Plasticity
from solver.mechanics.inelastic.solder import Anand, Garofalo
from solver.mechanics.inelastic.viscoelastic import Prony

ANAND = {
    # G.Z. Wang, Z.N. Cheng, K. Becker, J. Wilde, "Applying Anand model to represent the
    # viscoplastic deformation behavior of solder alloys", J. Electron. Packag. 123(3),
    # 247-253 (2001), the 96.5Sn-3.5Ag set (s0, Q/R, A, xi, m, h0, s_hat, n, a).
    "SnAg_Wang2001": Anand(s0=39.09e6, Q_over_R=8900.0, A=2.23e4, xi=6.0, m=0.182, h0=3321.15e6, s_hat=73.81e6,
                           n=0.018, a=1.82, source="Wang, Cheng, Becker & Wilde, J. Electron. Packag. 123, "
                                                    "247 (2001), 96.5Sn-3.5Ag"),
}

CREEP = {
    # A. Schubert, R. Dudek, E. Auerswald, A. Gollhardt, B. Michel, H. Reichl, "Fatigue life
    # models for SnAgCu and SnPb solder joints evaluated by experiments and simulation",
    # ECTC 2003, 603-610: Garofalo fit for Sn-3.8Ag-0.7Cu (C1 = 277984 1/s, C2 = 0.02447
    # 1/MPa, C3 = 6.41, Q = 54.2 kJ/mol).
    "SAC387_Schubert2003": Garofalo(C1=277984.0, C2=0.02447e-6, C3=6.41, activation_energy=54200.0,
                                    source="Schubert et al., ECTC 2003, Sn-3.8Ag-0.7Cu"),
}

PLASTIC = {
    # Electroplated Cu: yield 150-300 MPa depending on grain size and anneal, far above
    # annealed bulk Cu (~70 MPa). A representative bilinear set; measure your deposit.
    "Cu_electroplated_example": J2Plasticity(Hardening(yield_stress=200e6, modulus=1.0e9)),
}

VISCOELASTIC = {
    # A four-term Prony series of the shape reported for underfills and mould compounds
    # (relaxation over 1e-2..1e4 s at the reference), WLF constants in the range of
    # epoxies near Tg. Example values for demonstrations, not a measured resin.
    "epoxy_example": dict(shear=((0.25, 1e-1), (0.25, 1e1), (0.2, 1e3), (0.2, 1e5)), reference_temperature=423.15,
                          wlf_C1=17.4, wlf_C2=51.6, activation_energy=250e3,
                          source="example values (shape of epoxy relaxation data), not a measured resin"),
}


def prony_example() -> Prony:
    from solver.mechanics.shift import ShiftFunction

    d = VISCOELASTIC["epoxy_example"]
    shift = ShiftFunction(T_ref=d["reference_temperature"], wlf_C1=d["wlf_C1"], wlf_C2=d["wlf_C2"],
                          arrhenius_activation_J_per_mol=d["activation_energy"])
    return Prony(shear=d["shear"], shift=shift, source=d["source"])
