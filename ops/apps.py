from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = _("Operations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .jobs import register_job
        from .schema import register_api_schemas

        register_api_schemas()
        register_job("purge_search_logs", command="purge_search_logs", label=_("Delete old search records"))
