from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = _("Road networks and travel times")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ops.jobs import register_job

        # One job per department, so several workers can share the country.
        register_job("compute_surfaces", command="compute_surfaces", label=_("Compute nearest-facility surfaces"))
