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


def case_file(tmp_path, cases, overrides):
    """The die-attach case, or (for a profile instead of the cycle) a copy without its
    [load.cycle] table; returns (path, remaining overrides)."""
    if overrides[0] != "load.cycle=false":
        return cases / CASE, overrides
    text = (cases / CASE).read_text()
    case = tmp_path / "case.toml"
    case.write_text(text[: text.index("[load.cycle]")] + text[text.index("[stepping]"):])
    return case, overrides[1:]


@pytest.mark.parametrize("what", BAD)
def test_bad_reliability_input_names_the_field(what, cases, tmp_path):
    """Requirement (issue 16, bad input): the case is refused at validation, before any
    mesh or file, with one line that names the field and the constraint."""
    from solver.core.case import CaseError
    from solver.workflow.registry import load_case

    case, overrides = case_file(tmp_path, cases, BAD[what][0])
    with pytest.raises(CaseError) as err:
        load_case(case, overrides)
    message = str(err.value)
    assert "\n" not in message and BAD[what][1] in message, message


@pytest.mark.parametrize("what", ["missing Anand constant", "zero-length segment", "plane stress"])
def test_bad_reliability_input_exits_2_and_writes_nothing(what, cases, tmp_path, sprout):
    """The same through `sprout run`: exit 2, one line, no traceback, no output folder."""
    case, overrides = case_file(tmp_path, cases, BAD[what][0])
    out = tmp_path / "out"
    r = sprout("run", case, "-o", out, *[a for o in overrides for a in ("--set", o)])
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.startswith("sprout: invalid input")]
    assert len(lines) == 1 and BAD[what][1] in lines[0], r.stderr
    assert not out.exists()
