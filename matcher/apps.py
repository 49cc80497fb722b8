from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatcherConfig(AppConfig):
    name = "matcher"
    verbose_name = _("Programmes, eligibility and ranking")
    default_auto_field = "django.db.models.BigAutoField"
