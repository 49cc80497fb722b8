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


class SurfaceRun(models.Model):
    """A nearest-facility surface of one department on one road region's graph, for one mode."""

    department = models.ForeignKey("geoservices.Department", on_delete=models.CASCADE, related_name="surface_runs")
    region = models.ForeignKey(RoadRegion, on_delete=models.CASCADE, related_name="surface_runs")
    mode = models.CharField(max_length=16)
    computed_at = models.DateTimeField()
    parameters = models.JSONField(
        default=dict, help_text=_("Graph version, limits and walking rules the surface was computed with.")
    )
    nodes = models.PositiveIntegerField(help_text=_("Graph nodes inside the department."))
    reached = models.PositiveIntegerField(help_text=_("Nodes that reach a facility within the network limit."))

    class Meta:
        ordering = ["department", "region", "mode"]
        constraints = [
            models.UniqueConstraint(fields=["department", "region", "mode"], name="routing_surface_run_unique"),
        ]
        verbose_name = _("nearest-facility surface")
        verbose_name_plural = _("nearest-facility surfaces")

    def __str__(self) -> str:
        return f"{self.department_id} {self.region.slug} {self.mode}"


class SurfaceNode(models.Model):
    """One graph node of a surface: its place and its travel time to the nearest facility."""

    run = models.ForeignKey(SurfaceRun, on_delete=models.CASCADE, related_name="surface_nodes")
    node = models.PositiveIntegerField(help_text=_("Node index in the graph file of the run."))
    location = models.PointField(srid=4326)
    travel_time_s = models.FloatField(null=True, help_text=_("Empty where no facility is reached."))
    facility = models.ForeignKey(
        "geoservices.Facility", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["run", "travel_time_s"])]
