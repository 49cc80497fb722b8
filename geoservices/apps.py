from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoservicesConfig(AppConfig):
    name = "geoservices"
    verbose_name = _("Places and facilities")
    default_auto_field = "django.db.models.BigAutoField"
