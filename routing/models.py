"""Road regions: where network travel times exist and which graph files serve them."""
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.utils.translation import gettext_lazy as _


class RoadRegion(models.Model):
    """A road network built from one OSM extract, with one graph file per mode."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    source_file = models.CharField(
        max_length=300, help_text=_("Path of the OSM extract, relative to the staged data folder.")
    )
    source_sha256 = models.CharField(max_length=64)
    osm_date = models.DateField(null=True, blank=True, help_text=_("Date of the OpenStreetMap data."))
    extent = models.PolygonField(srid=4326, help_text=_("Convex hull of the graph nodes."))
    modes = ArrayField(models.CharField(max_length=16), default=list)
    counts = models.JSONField(
        default=dict, help_text=_('Nodes and edges per mode, e.g. {"walk": {"nodes": 10, "edges": 24}}.')
    )
    graph_files = models.JSONField(
        default=dict, help_text=_("Graph file name per mode, relative to the graph folder.")
    )
    built_at = models.DateTimeField()

    class Meta:
        ordering = ["slug"]
        verbose_name = _("road region")
        verbose_name_plural = _("road regions")

    def __str__(self) -> str:
        return self.name
