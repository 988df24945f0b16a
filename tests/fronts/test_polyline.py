"""The moving front's polyline geometry (shared by plating's fill and the etch): volumes
of revolution, pockets cut off against the axis and the film, self-crossings, uniform
growth; on shapes with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from solver.fronts.polyline import Wall, close_off, grow, section_measure


def test_section_measure_is_pappus_for_a_torus_and_a_plane_disk(relative):
    """A circle of radius a centred at r = R: volume of revolution 2 pi^2 R a^2 (the
    polygon's own volume, exact for the polygon: compared at 4096 sides to 1e-6)."""
    phi = np.linspace(0, 2 * np.pi, 4097)[:-1]
    R, a = 3.0, 1.0
    circle = np.column_stack([R + a * np.cos(phi), a * np.sin(phi)])
    volume, centroid = section_measure(circle, axisymmetric=True)
    assert relative(volume, 2 * np.pi**2 * R * a * a) < 1e-6
    assert np.allclose(centroid, [R, 0.0], atol=1e-12)
    assert relative(section_measure(circle, axisymmetric=False)[0], np.pi * a * a) < 1e-6


def test_a_front_reaching_the_axis_above_its_end_traps_the_liquid_below():
    """A U-shaped front whose side touches the axis at z = 1 above its end at z = 0: the
    pocket between is cut off and the front now ends at the crossing."""
    axis = Wall([[0.0, 0.0], [0.0, 5.0]])
    film = Wall([[3.0, 2.0], [6.0, 2.0]])
    front = np.array([[3.0, 2.0], [1.0, 1.5], [-0.5, 1.0], [1.0, 0.5], [0.5, 0.1], [0.0, 0.0]])
    new, s_start, s_end, pockets = close_off(front, 0.0, 0.0, film, axis)
    assert len(pockets) == 1 and s_start == 0.0
    assert new[-1, 0] == pytest.approx(0.0, abs=1e-12) and s_end == pytest.approx(new[-1, 1])
    assert 0.0 < s_end < 2.0
    assert (new[:, 0] >= -1e-12).all()


def test_a_front_touching_the_film_ahead_of_its_contact_seals_the_pocket_between():
    """The front leaves the film at r = 5, dips, pokes through the film underside between
    r = 3.33 and 2.67 (one step's overshoot) and goes on below: the pocket under the film
    from r = 3.33 to 5 is cut off, the contact jumps to where the front comes out of the
    film (r = 2.67); the overshoot inside the film is dropped."""
    film = Wall([[5.0, 0.0], [1.0, 0.0], [1.0, 2.0], [6.0, 2.0]])
    axis = Wall([[0.0, -3.0], [0.0, 5.0]])
    front = np.array([[5.0, 0.0], [4.0, -1.0], [3.0, 0.5], [2.0, -1.0], [0.0, -3.0]])
    new, s_start, s_end, pockets = close_off(front, 0.0, 0.0, film, axis)
    assert len(pockets) == 1
    x_out = 3.0 - 1.0 / 3.0  # segment (3,0.5)-(2,-1) meets z = 0
    assert s_start == pytest.approx(5.0 - x_out)
    assert np.allclose(new[0], [x_out, 0.0]) and np.allclose(new[1:], front[3:])
    area = section_measure(pockets[0], axisymmetric=False)[0]
    assert area == pytest.approx(0.5 * (5.0 - 10.0 / 3.0) * 1.0)  # the triangle (3.33, 0), (5, 0), (4, -1)


def test_a_segment_crossing_the_film_underside_and_then_its_hole_wall_turns_the_corner():
    """Near the hole's corner (r = 10, z = 0) one segment of the front can cross the film
    underside and then the hole wall: the front must go on from the later crossing (on the
    hole wall, z = 0.0169), not from the earlier one, which would leave the segment cutting
    through the film's corner (the electrolyte could then not be meshed)."""
    film = Wall([[20.0, 0.0], [10.0, 0.0], [10.0, 8.0], [30.0, 8.0]])
    axis = Wall([[0.0, -5.0], [0.0, 60.0]])
    front = np.array([[10.54, 0.0], [10.43, -0.076], [10.23, -0.0117], [9.79, 0.043], [5.0, 0.1], [0.0, -1.0]])
    new, s_start, s_end, pockets = close_off(front, 20.0 - 10.54, 4.0, film, axis)
    z_wall = -0.0117 + (0.043 + 0.0117) * (10.23 - 10.0) / (10.23 - 9.79)  # the segment at r = 10
    assert np.allclose(new[0], [10.0, z_wall]) and np.allclose(new[1:], front[3:])
    assert s_start == pytest.approx(10.0 + z_wall)
    assert len(pockets) == 1 and s_end == 4.0

def test_a_front_crossing_itself_drops_a_metal_loop_but_keeps_a_liquid_one():
    """The electrolyte is on the front's right: a clockwise loop holds electrolyte (a
    void), a counter-clockwise one is metal swept twice."""
    far = Wall([[100.0, 100.0], [101.0, 100.0]])
    far2 = Wall([[-100.0, -100.0], [-101.0, -100.0]])
    # going right, then a loop turning left (counter-clockwise): metal
    ccw = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, -1.0], [3.0, -1.0]])
    new, *_, pockets = close_off(ccw, 0.0, 0.0, far, far2)
    assert pockets == [] and len(new) == 4
    cw = ccw * np.array([1.0, -1.0])  # mirrored: the loop turns right, clockwise
    new, *_, pockets = close_off(cw, 0.0, 0.0, far, far2)
    assert len(pockets) == 1 and len(new) == 4


def test_uniform_growth_moves_a_circle_to_the_next_circle():
    """Every point at the same speed: a circle of radius 1 about the origin (plane) grows to
    radius 1 + v dt, to the polygon's chord error (spacing^2 / 8)."""
    n = 200
    phi = np.linspace(0, np.pi / 2, n + 1)
    front = np.column_stack([np.cos(phi), np.sin(phi)])
    front[-1, 0] = 0.0
    x_axis, y_axis = Wall([[1.0, 0.0], [5.0, 0.0]]), Wall([[0.0, 1.0], [0.0, 5.0]])
    spacing = np.pi / 2 / n
    new, s0, s1 = grow(front, np.full(len(front), 0.1), 1.0, 2 * spacing, 0.0, 0.0, x_axis, y_axis, False)
    radii = np.linalg.norm(new, axis=1)
    assert np.abs(radii - 1.1).max() < spacing**2
    assert s0 == pytest.approx(0.1) and s1 == pytest.approx(0.1)
