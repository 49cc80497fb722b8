"""Coverage exports: CSV tables and a PNG of the map with a chart of the worst areas.

The PNG is drawn with matplotlib through geopandas, which plots polygons as a
choropleth without a browser or tile server, so exports work on a headless
worker and contain only the project's own data.
"""
from __future__ import annotations

import csv
import io
import textwrap

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # No display on servers; must precede pyplot.
import matplotlib.pyplot as plt  # noqa: E402
from shapely.geometry import shape  # noqa: E402

from .reports import AreaCoverage, worst_areas  # noqa: E402

#: Colour map of the choropleth: light for few people beyond, dark red for many.
COLOUR_MAP = "YlOrRd"


def coverage_csv(areas: list[AreaCoverage], thresholds: tuple[int, ...], metadata: dict) -> bytes:
    """Write one CSV row per area with people and shares beyond every threshold.

    Returns UTF-8 with a byte order mark: without it Excel reads the file in
    the system's legacy code page and garbles names such as "Jesús Nazareno".
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["ubigeo", "name", "population"]
    for minutes in thresholds:
        header += [f"population_beyond_{minutes}", f"share_beyond_{minutes}"]
    header += ["poverty_rate", "places_network", "places_estimate", "care", "mode", "population_basis"]
    writer.writerow(header)
    for area in areas:
        row = [area.ubigeo, area.name, area.population]
        for minutes in thresholds:
            share = area.share_beyond(minutes)
            row += [area.beyond[minutes], "" if share is None else f"{share:.4f}"]
        row += [
            "" if area.poverty_rate is None else f"{area.poverty_rate:.2f}",
            area.places_network,
            area.places_estimate,
            metadata["care"],
            metadata["mode"],
            metadata["population_basis"],
        ]
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")


def coverage_png(collection: dict, areas: list[AreaCoverage], labels: dict) -> bytes:
    """Draw the choropleth of share beyond the threshold and a bar chart of the worst areas.

    Parameters
    ----------
    collection
        GeoJSON FeatureCollection from ``reports.feature_collection``.
    areas
        The same areas, for the ranking chart.
    labels
        Translated texts: ``title``, ``legend``, ``chart_title``, ``chart_axis`` and ``footnote``.

    Returns
    -------
    bytes
        A PNG image, 150 dpi.
    """
    features = [feature for feature in collection["features"] if feature["geometry"]]
    frame = gpd.GeoDataFrame(
        {"share": [feature["properties"]["share_beyond"] for feature in features]},
        geometry=[shape(feature["geometry"]) for feature in features],
        crs="EPSG:4326",
    )
    figure, (map_axes, chart_axes) = plt.subplots(1, 2, figsize=(13, 8), gridspec_kw={"width_ratios": [3, 2]})
    try:
        _draw_map(frame, map_axes, labels)
        _draw_chart(areas, collection["minutes"], chart_axes, labels)
        figure.suptitle(labels["title"], fontsize=13)
        figure.text(0.01, 0.01, "\n".join(textwrap.wrap(labels["footnote"], 190)), fontsize=7, va="bottom")
        figure.tight_layout(rect=(0, 0.06, 1, 0.95))
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=150)
    finally:
        plt.close(figure)
    return buffer.getvalue()


def _draw_map(frame: gpd.GeoDataFrame, axes, labels: dict) -> None:
    axes.set_axis_off()
    if frame.empty:
        return
    frame.plot(
        column="share",
        ax=axes,
        cmap=COLOUR_MAP,
        vmin=0.0,
        vmax=1.0,
        edgecolor="#666666",
        linewidth=0.2,
        legend=True,
        legend_kwds={"label": labels["legend"], "shrink": 0.6},
        missing_kwds={"color": "#dddddd"},
    )


def _draw_chart(areas: list[AreaCoverage], minutes: int, axes, labels: dict) -> None:
    worst = worst_areas(areas, minutes, limit=15)[::-1]
    axes.barh([area.name for area in worst], [100.0 * area.share_beyond(minutes) for area in worst], color="#bd0026")
    axes.set_xlim(0, 100)
    axes.set_xlabel(labels["chart_axis"])
    axes.set_title(labels["chart_title"], fontsize=10)
    axes.tick_params(axis="y", labelsize=7)
