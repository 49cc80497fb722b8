"""Elevation grids and Tobler's hiking function for slope-aware walking times.

Tobler's hiking function gives walking speed as ``6 exp(-3.5 |s + 0.05|)`` km/h on a
grade ``s`` (rise over run). It peaks on a gentle descent (s = -0.05) and
falls off faster uphill than downhill. The engine keeps its own level-ground
speed (``WALK_SPEED_KPH``) and scales it by Tobler's ratio to level ground,
so only the effect of slope comes from the formula.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import parameters


@dataclass(frozen=True)
class ElevationGrid:
    """A north-up elevation raster in EPSG:4326.

    ``values`` is a 2-d array in metres (rows from north to south), with NaN
    where elevation is unknown. ``origin_lon``/``origin_lat`` is the outer
    corner of the top-left cell and ``pixel_lon``/``pixel_lat`` the cell size
    in degrees (``pixel_lat`` is negative for north-up rasters).
    """

    values: np.ndarray
    origin_lon: float
    origin_lat: float
    pixel_lon: float
    pixel_lat: float
    source_sha256: str

    def sample(self, lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
        """Interpolate elevations in metres bilinearly; NaN outside the grid or next to unknown cells."""
        # Continuous cell coordinates measured from the centre of the top-left cell.
        col = (np.asarray(lon, dtype=float) - self.origin_lon) / self.pixel_lon - 0.5
        row = (np.asarray(lat, dtype=float) - self.origin_lat) / self.pixel_lat - 0.5
        n_rows, n_cols = self.values.shape
        inside = (col >= 0) & (row >= 0) & (col <= n_cols - 1) & (row <= n_rows - 1)

        elevation = np.full(col.shape, np.nan)
        c0 = np.minimum(np.floor(col[inside]).astype(int), n_cols - 2)
        r0 = np.minimum(np.floor(row[inside]).astype(int), n_rows - 2)
        dc, dr = col[inside] - c0, row[inside] - r0
        v = self.values
        top = v[r0, c0] * (1 - dc) + v[r0, c0 + 1] * dc
        bottom = v[r0 + 1, c0] * (1 - dc) + v[r0 + 1, c0 + 1] * dc
        elevation[inside] = top * (1 - dr) + bottom * dr
        return elevation


def tobler_ratio(grade: ArrayLike) -> np.ndarray:
    """Return Tobler's walking speed on ``grade`` divided by his speed on level ground."""
    grade = np.asarray(grade, dtype=float)
    return np.exp(-3.5 * np.abs(grade + 0.05)) / np.exp(-3.5 * 0.05)


def walk_speed_kph(grade: ArrayLike) -> np.ndarray:
    """Walking speed in km/h on ``grade`` (rise over run; NaN means unknown, taken as level)."""
    grade = np.nan_to_num(np.asarray(grade, dtype=float), nan=0.0)
    grade = np.clip(grade, -parameters.MAX_WALK_GRADE, parameters.MAX_WALK_GRADE)
    return parameters.WALK_SPEED_KPH * tobler_ratio(grade)


def edge_grades(
    grid: ElevationGrid,
    tail_lon: np.ndarray,
    tail_lat: np.ndarray,
    head_lon: np.ndarray,
    head_lat: np.ndarray,
    length_m: np.ndarray,
) -> np.ndarray:
    """Compute the grade (rise over run) of each edge from its end elevations.

    Returns NaN where either end has no elevation or the edge has no length.
    """
    rise_m = grid.sample(head_lon, head_lat) - grid.sample(tail_lon, tail_lat)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(length_m > 0, rise_m / length_m, np.nan)
