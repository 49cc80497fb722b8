"""Pages for families: the search page that calls the JSON API."""
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.generic import TemplateView

from geoservices.models import Need
from geoservices.vocabulary import INSURANCE_CHOICES, MODE_CHOICES, SEX_CHOICES, SISFOH_CHOICES


def need_choices(language: str) -> list[tuple[str, str]]:
    """Return ``(code, name)`` for every need, named in ``language`` ("es" or "en").

    Parameters
    ----------
    language
        A language code as Django gives it; anything not starting with "en" gets Spanish.
    """
    name_field = "name_en" if language.startswith("en") else "name_es"
    return list(Need.objects.order_by("sort_order", "code").values_list("code", name_field))


@method_decorator(ensure_csrf_cookie, name="dispatch")
class HomeView(TemplateView):
    """The family search: a map, a household form and the results.

    The page only renders the form; the search runs in the browser against
    ``POST /api/v1/match/``. The CSRF cookie is set so that the script can
    send the token header.
    """

    template_name = "frontend/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            needs=need_choices(get_language() or "es"),
            insurance_choices=INSURANCE_CHOICES,
            sisfoh_choices=SISFOH_CHOICES,
            sex_choices=SEX_CHOICES,
            mode_choices=MODE_CHOICES,
        )
        return context
