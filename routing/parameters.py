"""Speeds, factors and limits of the travel-time engine, with their reasons.

Every number that changes a travel time lives here, so that the API and the
UI can state how a time was obtained and so that a graph built under other
rules is detected (see :func:`graph_rules_digest`). Speeds are in km/h,
distances in metres and times in seconds unless a name says otherwise.
"""
import hashlib
import json

#: Travel modes that have their own road graphs.
GRAPH_MODES = ("walk", "drive")

#: Travel modes that queries accept. Public transport runs on the drive graph.
MODES = ("walk", "drive", "transit")

# --- Walking -----------------------------------------------------------------

#: Walking speed on level ground. 4.5 km/h is a little below the usual 5 km/h
#: adult pace because the travellers are households that walk with small
#: children, pregnant women or older people.
WALK_SPEED_KPH = 4.5

#: OSM ``highway`` values that pedestrians may use. Motorways are left out
#: because Peruvian expressways (vías expresas) forbid pedestrians. Cycleways
#: count only where ``foot`` allows walking.
WALK_HIGHWAYS = frozenset(
    {
        "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
        "tertiary", "tertiary_link", "unclassified", "residential", "road", "living_street",
        "service", "track", "footway", "pedestrian", "path", "steps", "corridor", "bridleway",
    }
)

#: Largest grade (rise over run) used in Tobler's function; steeper values are
#: clipped. Grades come from node elevations on a 30 m grid, so a few metres
#: of interpolation error on a short edge can produce grades no path has.
#: Stairways in Cusco reach about 0.6, so 1.0 (45 degrees) keeps real slopes.
MAX_WALK_GRADE = 1.0

# --- Driving -----------------------------------------------------------------

#: Free-flow driving speed by OSM ``highway`` class where a way has no usable
#: ``maxspeed`` tag. The values follow the urban limits of Peru's Reglamento
#: Nacional de Tránsito as amended by D.S. 025-2021-MTC (in force since
#: 2022-07-18): 30 km/h on streets (calles y jirones), 50 km/h on avenues and
#: 80 km/h on expressways. Trunk roads through Peruvian cities have junctions
#: and crossings, so they get 60 km/h rather than the expressway limit. Links,
#: living streets, service roads and unpaved tracks (trochas) get lower values
#: because vehicles slow down on them. These are limits, not traffic: times at
#: rush hour are longer.
DRIVE_SPEED_KPH = {
    "motorway": 80.0,
    "motorway_link": 40.0,
    "trunk": 60.0,
    "trunk_link": 30.0,
    "primary": 50.0,
    "primary_link": 30.0,
    "secondary": 50.0,
    "secondary_link": 30.0,
    "tertiary": 50.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "road": 30.0,
    "living_street": 20.0,
    "service": 20.0,
    "track": 20.0,
}

#: Speed for a drivable way whose class is missing from the table above (the
#: street limit). Only reached through ``maxspeed`` imputation, because the
#: drive filter keeps only the classes in :data:`DRIVE_SPEED_KPH`.
DRIVE_FALLBACK_SPEED_KPH = 30.0

# --- Public transport ---------------------------------------------------------

#: Ratio of bus (combi, micro) in-vehicle time to free-flow driving time: buses
#: stop for passengers and run in traffic. 1.5 is an assumption, not a
#: measurement of Peruvian services.
TRANSIT_TIME_FACTOR = 1.5

#: Waiting time added once per public-transport trip: half of an assumed 20-minute
#: headway. Transfers are not modelled.
TRANSIT_WAIT_S = 600.0

#: ``service`` values left out of the drive graph: parking aisles are not
#: through roads and would add detours that no driver takes.
DRIVE_EXCLUDED_SERVICES = frozenset({"parking_aisle"})

#: ``access`` values that close a way unless a mode-specific tag opens it.
CLOSED_ACCESS = frozenset({"no", "private"})

#: ``foot`` / ``motor_vehicle`` / ``motorcar`` values that open a closed way.
OPEN_ACCESS = frozenset({"yes", "designated", "permissive", "destination"})

# --- Network access and limits ---------------------------------------------

#: Farthest a point may be from the nearest graph node and still be routed on
#: that graph. Beyond 2 km (about 30 minutes on foot) the point is not served
#: by that street network, and the straight-line estimate is used instead.
MAX_ACCESS_DISTANCE_M = 2_000.0

#: Maximum network travel time searched from an origin on the city graphs.
#: Destinations that take longer are reported as unreachable. Eight hours
#: covers any trip across the city graphs at walking speed. The MTC graphs set
#: their own limit, above their longest trip (``CompactGraph.network_limit_s``).
NETWORK_LIMIT_S = 8 * 3600.0

#: Time added to the first, shorter search of a query (three times the slowest
#: destination's estimate). It only changes speed: destinations left
#: unreached by that first search are searched again up to NETWORK_LIMIT_S.
PROBE_MARGIN_S = 600.0

# --- MTC road network ----------------------------------------------------------

#: Farthest a point may be from the MTC road graph and still be routed on it.
#: Rural households in the Andes and the Amazon often live hours on foot from
#: a national road; 10 km (about 4.7 hours at the off-road pace below) keeps
#: those trips on the network. Farther points get the straight-line estimate.
MTC_MAX_ACCESS_DISTANCE_M = 10_000.0

#: Walking speed between a point and the MTC road graph. The walk crosses
#: fields, footpaths and slopes with no mapped way, so it is slower than the
#: 4.5 km/h on streets. 3 km/h is an assumption, not a measurement.
OFFROAD_WALK_SPEED_KPH = 3.0

#: Ratio of the off-road walk to the straight line: the same 1.4 as the
#: straight-line estimate, for footpaths that follow slopes and rivers.
OFFROAD_CIRCUITY_FACTOR = 1.4

#: Walking speed on the MTC road lines themselves: the lines are walked in
#: both directions at the street pace, with no slope (no national elevation
#: grid is staged).
MTC_WALK_SPEED_KPH = WALK_SPEED_KPH

#: Farthest apart a node of a city street graph and a node of the MTC graph may
#: be to be joined by a connector (see routing/join.py). The MTC nodes along a
#: line are at most 300 m apart and the OpenStreetMap nodes of a street a few
#: tens of metres, so where an MTC road follows a mapped street one of its
#: nodes falls within 30 m of a street node; a wider tolerance would also join
#: roads to streets that only run beside them.
JOIN_TOLERANCE_M = 30.0

#: Speed over a connector: the walking pace on foot and the slowest drive
#: class (living streets, tracks) by vehicle, since the gap is a turn or a
#: short stretch that neither survey mapped.
JOIN_SPEED_KPH = {"walk": WALK_SPEED_KPH, "drive": 20.0}

# --- Straight-line estimate ------------------------------------------------

#: Ratio of route length to straight-line distance used where no graph
#: reaches. Urban street grids stay near 1.2-1.3; 1.4 leaves room for the
#: hills, ravines and switchbacks of the rest of Peru. The access and egress
#: legs of routed trips use the walking value too.
CIRCUITY_FACTOR = {"walk": 1.4, "drive": 1.4, "transit": 1.4}

#: Average speed of the straight-line estimate. Walking uses the network
#: walking speed. Driving uses 30 km/h, the urban street limit, which is also
#: a plausible average for mixed paved and unpaved roads outside cities.
#: Public transport is the driving speed divided by TRANSIT_TIME_FACTOR, and
#: its estimate adds TRANSIT_WAIT_S.
ESTIMATE_SPEED_KPH = {"walk": WALK_SPEED_KPH, "drive": 30.0, "transit": 30.0 / TRANSIT_TIME_FACTOR}


#: Modes in which a trip that leaves a city street graph may take the
#: straight-line estimate when it is faster than the trip over the MTC lines
#: (``routing.services``, ``planning.access``). The MTC lines contain no city
#: streets, so beyond a street extract a vehicle may reach them only by long
#: walks. On foot, the MTC walk across country already models footpaths.
CITY_ESTIMATE_MODES = ("drive", "transit")


def graph_mode(mode: str) -> str:
    """Return the road graph a travel mode runs on."""
    return "drive" if mode == "transit" else mode


def network_time_s(mode: str, graph_time_s):
    """Turn times on the mode's graph into the mode's travel times, in seconds.

    Public transport scales driving time and adds the wait; other modes use
    the graph time as it is.
    """
    if mode == "transit":
        return graph_time_s * TRANSIT_TIME_FACTOR + TRANSIT_WAIT_S
    return graph_time_s

#: Mean Earth radius (IUGG), for haversine distances.
EARTH_RADIUS_M = 6_371_008.8


def kph_to_mps(speed_kph: float) -> float:
    """Convert a speed from km/h to m/s."""
    return speed_kph / 3.6


def graph_rules_digest() -> str:
    """Return a short hash of the rules that shape a built graph.

    A stored graph whose digest differs from this one was built under other
    speeds or filters and must be rebuilt.
    """
    rules = {
        "walk_speed_kph": WALK_SPEED_KPH,
        "walk_slope": "tobler",
        "max_walk_grade": MAX_WALK_GRADE,
        "walk_highways": sorted(WALK_HIGHWAYS),
        "drive_speed_kph": DRIVE_SPEED_KPH,
        "drive_fallback_speed_kph": DRIVE_FALLBACK_SPEED_KPH,
        "drive_excluded_services": sorted(DRIVE_EXCLUDED_SERVICES),
        "closed_access": sorted(CLOSED_ACCESS),
        "open_access": sorted(OPEN_ACCESS),
        "format": 1,
    }
    encoded = json.dumps(rules, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]
