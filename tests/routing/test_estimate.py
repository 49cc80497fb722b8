"""The straight-line estimate and mode checks, without a database."""
import math

import pytest

from routing import parameters
from routing.estimate import check_mode, describe, estimate_route, haversine_m, walk_leg
from routing.exceptions import UnknownModeError


def test_haversine_one_degree_of_latitude():
    # One degree along a meridian on a sphere of the mean Earth radius.
    expected = math.pi * parameters.EARTH_RADIUS_M / 180
    assert haversine_m(-77.0, -12.0, -77.0, -11.0) == pytest.approx(expected, rel=1e-12)


def test_haversine_shrinks_with_latitude():
    at_equator = haversine_m(0.0, 0.0, 1.0, 0.0)
    at_cusco = haversine_m(-72.0, -13.5, -71.0, -13.5)
    assert at_cusco == pytest.approx(at_equator * math.cos(math.radians(13.5)), rel=1e-4)


def test_haversine_zero_for_same_point():
    assert haversine_m(-71.97, -13.52, -71.97, -13.52) == 0.0


@pytest.mark.parametrize("mode", parameters.MODES)
def test_estimate_uses_stated_factors(mode):
    distance_m, travel_time_s = estimate_route([1000.0, 0.0], mode)
    circuity = parameters.CIRCUITY_FACTOR[mode]
    speed_mps = parameters.ESTIMATE_SPEED_KPH[mode] / 3.6
    wait_s = parameters.TRANSIT_WAIT_S if mode == "transit" else 0.0
    assert distance_m[0] == pytest.approx(1000.0 * circuity)
    assert travel_time_s[0] == pytest.approx(1000.0 * circuity / speed_mps + wait_s)
    assert distance_m[1] == 0.0
    assert travel_time_s[1] == wait_s


def test_transit_estimate_slower_than_drive():
    _, drive_s = estimate_route(5000.0, "drive")
    _, transit_s = estimate_route(5000.0, "transit")
    assert transit_s == pytest.approx(drive_s * parameters.TRANSIT_TIME_FACTOR + parameters.TRANSIT_WAIT_S)


def test_walk_leg_is_walking_estimate():
    # 450 m straight at the walking factors: 630 m in 504 s.
    distance_m, travel_time_s = walk_leg(450.0)
    assert distance_m == pytest.approx(450.0 * parameters.CIRCUITY_FACTOR["walk"])
    assert travel_time_s == pytest.approx(distance_m / (parameters.WALK_SPEED_KPH / 3.6))


def test_unknown_mode_rejected():
    with pytest.raises(UnknownModeError, match="'bicycle'.*walk, drive"):
        check_mode("bicycle")
    with pytest.raises(UnknownModeError):
        describe("teleport")


def test_describe_states_units():
    facts = describe("drive")
    assert facts["estimate_speed_kph"] == parameters.ESTIMATE_SPEED_KPH["drive"]
    assert facts["circuity_factor"] == parameters.CIRCUITY_FACTOR["drive"]
    assert facts["max_access_distance_m"] == parameters.MAX_ACCESS_DISTANCE_M
    assert facts["access_walk_speed_kph"] == parameters.WALK_SPEED_KPH
