"""Admin pages of the routing app: road regions and nearest-facility surfaces, read-only."""
from django.contrib.gis import admin

from .models import RoadRegion, SurfaceRun


@admin.register(RoadRegion)
class RoadRegionAdmin(admin.GISModelAdmin):
    """Road regions are written by ``manage.py build_graphs``; the admin only shows them."""

    list_display = ("slug", "name", "osm_date", "built_at")
    readonly_fields = (
        "slug", "name", "source_file", "source_sha256", "osm_date", "modes", "counts", "graph_files", "built_at",
    )

    def has_add_permission(self, request):
        return False


@admin.register(SurfaceRun)
class SurfaceRunAdmin(admin.ModelAdmin):
    """Surfaces are written by ``manage.py compute_surfaces`` (or its job); the admin only lists them."""

    list_display = ("department", "region", "mode", "nodes", "reached", "computed_at")
    list_filter = ("mode", "region")
    readonly_fields = ("department", "region", "mode", "computed_at", "parameters", "nodes", "reached")

    def has_add_permission(self, request):
        return False
