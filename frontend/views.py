"""Pages for families: the search page that calls the JSON API, and the referral slip."""
from urllib.parse import quote, urlencode

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.translation import get_language, gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.generic import TemplateView

from geoservices.models import DataReport, Need
from geoservices.vocabulary import FAMILY_MODE_CHOICES, INSURANCE_CHOICES, SEX_CHOICES, SISFOH_CHOICES
from matcher.duration_text import LONG_TRIP_MIN

from .boundaries import boundary_collection, parse_bbox
from .exceptions import FrontendError, SharedSearchError
from .pdf import render_referral_pdf
from .referral import build_referral
from .sharing import SEARCH_PARAM, decode_search

#: WhatsApp's documented share link; the text follows URL-encoded.
WHATSAPP_SHARE = "https://wa.me/?text="


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
            mode_choices=FAMILY_MODE_CHOICES,
            report_topics=DataReport.Topic.choices,
            long_trip_min=LONG_TRIP_MIN,
            long_trip_hours=LONG_TRIP_MIN // 60,
        )
        return context


def _shared_request(request) -> tuple[dict, str]:
    """Read the shared search and the chosen facility from the query string."""
    body = decode_search(request.GET.get(SEARCH_PARAM, ""))
    return body, request.GET.get("facility", "").strip()[:8]


def share_links(request, param: str, facility_name: str) -> dict:
    """Return the absolute link that reopens a search and its WhatsApp share link."""
    share_url = request.build_absolute_uri(reverse("frontend:home") + "?" + urlencode({SEARCH_PARAM: param}))
    message = _("Health facility found with GeoSalud: %(name)s. Open the search:") % {"name": facility_name}
    return {"share_url": share_url, "whatsapp_url": WHATSAPP_SHARE + quote(f"{message} {share_url}")}


class ReferralView(TemplateView):
    """Printable referral slip for one facility of a shared search."""

    template_name = "frontend/referral.html"

    def get(self, request, *args, **kwargs):
        try:
            body, renaes_code = _shared_request(request)
            slip = build_referral(body, renaes_code)
        except SharedSearchError as exc:
            return render(request, "frontend/referral_error.html", {"message": str(exc)}, status=400)
        param = request.GET[SEARCH_PARAM]
        context = self.get_context_data(
            slip=slip,
            pdf_url=reverse("frontend:referral-pdf") + "?" + urlencode(
                {SEARCH_PARAM: param, "facility": slip["facility"]["renaes_code"]}),
            **share_links(request, param, slip["facility"]["name"]),
        )
        return self.render_to_response(context)


def referral_pdf(request):
    """The referral slip as a one-page Spanish PDF, whatever the page language.

    Staff at the facility read Spanish, so the slip is always in Spanish.
    """
    with translation.override("es"):
        try:
            body, renaes_code = _shared_request(request)
            slip = build_referral(body, renaes_code)
        except SharedSearchError as exc:
            return render(request, "frontend/referral_error.html", {"message": str(exc)}, status=400)
        links = share_links(request, request.GET[SEARCH_PARAM], slip["facility"]["name"])
        pdf = render_referral_pdf(slip, links["share_url"])
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"referencia-{slip['facility']['renaes_code']}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def boundaries(request, level: str):
    """Simplified department or district outlines as GeoJSON, for the map without tiles.

    Department outlines change only when boundaries are reloaded, so browsers may cache them for a day.
    """
    try:
        bbox = parse_bbox(request.GET.get("bbox", "")) if level == "districts" else None
    except FrontendError as exc:
        return JsonResponse({"errors": {"bbox": [str(exc)]}}, status=400)
    response = JsonResponse(boundary_collection(level, bbox))
    if level == "departments":
        patch_cache_control(response, public=True, max_age=24 * 3600)
    return response
