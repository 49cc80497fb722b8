"""Isochrone polygons: the area from which a place is reached within a travel time.

A polygon is the concave hull of the graph nodes whose time to the place is
within the threshold, widened by a roadside strip. The hull can bridge a gap
between two reached streets (a park, a ravine) that the network goes around,
so the polygons are a map aid, not a test of whether one house is inside.
"""
from __future__ import annotations

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from .graph import CompactGraph

#: Concave hull ratio passed to ``shapely.concave_hull`` (0 follows the points
#: closely, 1 gives the convex hull). 0.3 keeps the shape of a street network
#: without splitting it into street-wide slivers.
CONCAVE_HULL_RATIO = 0.3

#: Width added around the reached nodes, in metres: about half a city block,
#: the houses along a reached street.
ROADSIDE_BUFFER_M = 50.0

#: Tolerance of the final simplification, in metres.
SIMPLIFY_TOLERANCE_M = 10.0


def isochrone_polygons(
    graph: CompactGraph, times_s: np.ndarray, thresholds_s: list[float]
) -> list[BaseGeometry | None]:
    """Build one polygon per threshold from per-node travel times.

    Parameters
    ----------
    graph
        Graph the times were computed on.
    times_s
        Per-node travel time in seconds (``inf`` where unreached).
    thresholds_s
        Travel-time thresholds in seconds.

    Returns
    -------
    list
        A shapely (Multi)Polygon in EPSG:4326 per threshold, or None when no
        node is within it.
    """
    epsg = int(graph.meta["crs_epsg"])
    to_utm = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
    to_lonlat = pyproj.Transformer.from_crs(epsg, 4326, always_xy=True)
    x, y = to_utm.transform(graph.node_lon, graph.node_lat)

    polygons = []
    for threshold_s in thresholds_s:
        reached = np.flatnonzero(times_s <= threshold_s)
        if reached.size == 0:
            polygons.append(None)
            continue
        points = shapely.multipoints(np.column_stack([x[reached], y[reached]]))
        hull = shapely.concave_hull(points, ratio=CONCAVE_HULL_RATIO)
        area = hull.buffer(ROADSIDE_BUFFER_M, quad_segs=4).simplify(SIMPLIFY_TOLERANCE_M)
        polygons.append(shapely.transform(area, lambda xy: np.column_stack(to_lonlat.transform(xy[:, 0], xy[:, 1]))))
    return polygons
