"""Admin pages of the routing app: the registered road regions, read-only."""
from django.contrib.gis import admin

from .models import RoadRegion


@admin.register(RoadRegion)
class RoadRegionAdmin(admin.GISModelAdmin):
    """Road regions are written by ``manage.py build_graphs``; the admin only shows them."""

    list_display = ("slug", "name", "osm_date", "built_at")
    readonly_fields = (
        "slug", "name", "source_file", "source_sha256", "osm_date", "modes", "counts", "graph_files", "built_at",
    )

    def has_add_permission(self, request):
        return False
