from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoservicesConfig(AppConfig):
    name = "geoservices"
    verbose_name = _("Places and facilities")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ops.jobs import register_job

        # Large admin uploads and road network builds run as background jobs.
        register_job("import_boundaries", command="import_boundaries", label=_("Import a boundary layer"))
        register_job("import_facilities", command="import_facilities", label=_("Import a facility registry"))
        register_job("build_uploaded_network", command="build_uploaded_network",
                     label=_("Build the road region of an uploaded OSM extract"))
