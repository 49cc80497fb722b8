from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = _("Coverage planning")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ops.jobs import register_job

        register_job(
            "compute_coverage",
            command="compute_coverage",
            label=_("Compute coverage of a department"),
            # A failed department is rerun whole, so two retries after an outage are enough.
            max_retries=2,
        )
