"""The staged OpenStreetMap extracts that ``build_graphs`` turns into regions.

Paths are relative to the staged data folder (``GEOSALUD["SOURCE_DATA_DIR"]``).
The OSM dates come from data/peru/SOURCES.md: the date of the extract's data,
or, for the GraphML file, the date osmnx downloaded it.
"""
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class StagedRegion:
    """A road network extract and the region it covers."""

    slug: str
    name: str
    source_file: str
    osm_date: date | None
    #: Elevation raster for slope-aware walking, relative to the staged data folder.
    elevation_file: str | None = None


STAGED_REGIONS = (
    StagedRegion(
        slug="cusco-centro",
        name="Cusco (centro)",
        source_file="osm_network/cusco_centro_highways_2017.osm",
        osm_date=date(2017, 1, 9),
        elevation_file="elevation/cusco_dem_from_contours_30m.tif",
    ),
    StagedRegion(
        slug="lima-sjl-canto-grande",
        name="San Juan de Lurigancho (Canto Grande), Lima",
        source_file="osm_network/lima_sjl_canto_grande_drive.osm",
        osm_date=date(2024, 6, 27),
    ),
    StagedRegion(
        slug="callao-ventanilla",
        name="Ventanilla, Callao",
        source_file="osm_network/lima_ventanilla_drive_2km.graphml",
        osm_date=date(2023, 6, 22),
    ),
)


@dataclass(frozen=True)
class MtcNetwork:
    """The MTC road lines served as one road region covering Peru."""

    slug: str
    name: str
    #: Folders of ``roads_mtc/`` whose GeoJSON layers go into the graph.
    levels: tuple[str, ...]


#: Only the national level is routed. It is 94 % connected and small
#: (about 59,000 nodes), so a search needs no precomputed matrix. Adding the
#: departmental and vecinal levels brings most villages nearer to a road but
#: gives about 493,000 nodes in 613 pieces.
MTC_NETWORK = MtcNetwork(slug="peru-mtc", name="Red vial nacional del MTC", levels=("nacional",))
