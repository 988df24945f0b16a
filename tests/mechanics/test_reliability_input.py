"""Bad reliability input: one line naming the field and the constraint, exit 2, nothing
written (sprout check and sprout run alike)."""

import pytest

CASE = "reliability/die_attach_cycling.toml"
BAD = {
    "missing Anand constant": (['inelastic.attach={model="anand", s0="39 MPa", source="lab"}'],
                               "inelastic.attach: anand needs a library set"),
    "Anand without a source": (['inelastic.attach={model="anand", s0="39 MPa", Q_over_R="8900 K", A="2.23e4 1/s", '
                                'xi=6, m=0.182, h0="3321 MPa", s_hat="73.8 MPa", n=0.018, a=1.82}'],
                               "inelastic.attach.source"),
    "unknown set": (['inelastic.attach={model="anand", set="SAC_nobody"}'], "unknown anand set 'SAC_nobody'"),
    "non-positive constant": (['inelastic.leadframe.yield_stress="-5 MPa"'], "inelastic.leadframe"),
    "Prony time zero": (['inelastic.attach={model="viscoelastic", shear=[{weight=0.5, time="0 s"}], source="x"}'],
                        "time"),
    "Prony weights sum to 1": (['inelastic.attach={model="viscoelastic", shear=[{weight=0.6, time="1 s"}, '
                                '{weight=0.5, time="2 s"}], source="x"}'], "sum to less than 1"),
    "zero-length segment": (['load.cycle=false', 'load.profile={points=[["0 s", "25 degC"], ["60 s", "125 degC"], '
                             '["60 s", "25 degC"]]}'], "points[2]"),
    "time going back": (['load.cycle=false', 'load.profile={points=[["0 s", "25 degC"], ["60 s", "125 degC"], '
                         '["30 s", "25 degC"]]}'], "points[2]"),
    "averaging region missing": (['averaging=[{name="x", region="ball", interface="die", thickness="5 um"}]'],
                                 "averaging[0].region"),
    "plane stress": (['model.formulation="plane_stress"'], "model.formulation: inelastic materials are not available "
                                                           "in plane stress"),
    "cycle upside down": (['load.cycle.low="150 degC"'], "high must be above low"),
    "Darveaux without constants": (['fatigue.darveaux={K1=1.0}'], "fatigue.darveaux"),
}


@pytest.mark.slow
@pytest.mark.parametrize("what", BAD)
def test_bad_reliability_input_is_one_line_exit_2(what, cases, tmp_path, sprout):
    """Requirement (issue 16, bad input): exit 2, one line that names the field, no
    traceback, no output folder."""
    overrides, words = BAD[what]
    if overrides[0] == "load.cycle=false":  # a profile instead of the cycle: drop the cycle table
        text = (cases / CASE).read_text()
        start = text.index("[load.cycle]")
        end = text.index("[stepping]")
        case = tmp_path / "case.toml"
        case.write_text(text[:start] + text[end:])
        overrides = overrides[1:]
    else:
        case = cases / CASE
    out = tmp_path / "out"
    r = sprout("run", case, "-o", out, *[a for o in overrides for a in ("--set", o)])
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.startswith("sprout: invalid input")]
    assert len(lines) == 1 and words in lines[0], r.stderr
    assert not out.exists()
