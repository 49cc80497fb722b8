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


#: All three levels are routed. Their lines have about 771,000 vertices. After
#: snapping, joining crossings and thinning to a node at least every 300 m, the
#: graph has about 164,000 nodes in 631 pieces. The 506 pieces with at least
#: 2 km of road are kept (99.8 % of the length). The largest piece contains
#: 78 % of the length, and the rest are mostly rural networks of Amazonas,
#: Loreto, Madre de Dios, San Martín and Ucayali that no staged line joins to it.
#: Figures by department are in docs/routing.md.
MTC_NETWORK = MtcNetwork(
    slug="peru-mtc",
    name="Red vial del MTC (nacional, departamental y vecinal)",
    levels=("nacional", "departamental", "vecinal"),
)
