"""Planner pages: the coverage map with its tables, login, and the exports."""
from __future__ import annotations

import json

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.generic import TemplateView

from geoservices.models import Department
from geoservices.text import spanish_sort_key
from geoservices.vocabulary import CATEGORIES, MODE_CHOICES

from . import exports, reports
from .care import THRESHOLDS_MIN, care_choices
from .models import PopulationBasis
from .permissions import PlannerRequiredMixin
from .serializers import CoverageQuerySerializer
from .services import DATA_SOURCES
from .text import coverage_metadata, method_sentences, unmet_sentence

LEVEL_LABELS = {
    "district": gettext_lazy("Districts"),
    "province": gettext_lazy("Provinces"),
    "department": gettext_lazy("Departments"),
}


class PlannerLoginView(auth_views.LoginView):
    """Django's login form in the planning look."""

    template_name = "planning/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("planning:coverage")


class PlannerLogoutView(auth_views.LogoutView):
    """Log out (POST only, as in Django) and return to the login page."""

    next_page = reverse_lazy("planning:login")


@method_decorator(ensure_csrf_cookie, name="dispatch")
class CoverageView(PlannerRequiredMixin, TemplateView):
    """The planner page: choropleth, ranking, recomputation, scenarios, catchments and unmet demand."""

    template_name = "planning/coverage.html"
    login_url = reverse_lazy("planning:login")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            care_choices=care_choices(),
            mode_choices=MODE_CHOICES,
            thresholds=THRESHOLDS_MIN,
            level_choices=list(LEVEL_LABELS.items()),
            population_choices=PopulationBasis.choices,
            departments=sorted(
                Department.objects.values_list("ubigeo", "name"), key=lambda row: spanish_sort_key(row[1])
            ),
            categories=CATEGORIES,
            method=method_sentences("walk", PopulationBasis.CENSUS_2017),
            sources=DATA_SOURCES,
            unmet_rule=unmet_sentence(),
            page_config=self._page_config(),
        )
        return context

    def _page_config(self) -> dict:
        """URLs and translated texts the page script needs."""
        return {
            "urls": {
                "coverage": reverse("api-coverage"),
                "ranking": reverse("api-coverage-ranking"),
                "jobs": reverse("api-coverage-jobs"),
                "scenario": reverse("api-coverage-scenario"),
                "suggestions": reverse("api-coverage-suggestions"),
                "catchments": reverse("api-coverage-catchments"),
                "unmet": reverse("api-coverage-unmet"),
                "export": reverse("planning:export", args=["csv"]).removesuffix("csv"),
            },
            "text": {
                "noData": _("No coverage computed yet for this choice. Choose a department and press “Recompute”."),
                "peopleBeyond": _("people beyond"),
                "of": _("of"),
                "share": _("share"),
                "minutes": _("min"),
                "loading": _("Loading…"),
                "failed": _("The request failed. Check your connection and try again."),
                "jobDone": _("Coverage recomputed."),
                "jobFailed": _("The computation failed. An administrator can see the error in the job list."),
                "chooseDepartment": _("Choose a department first."),
                "siteAdded": _("New facility placed at"),
                "noSites": _("Click the map to place a new facility, or pick an upgrade."),
                "noChange": _("No district gains people within reach."),
                "alreadyGivesCare": _(
                    "%(name)s (%(renaes_code)s) already gives this care with its category %(category)s, so raising "
                    "it to %(new_category)s changes nothing. Choose a care that its category does not give, or "
                    "another facility."
                ),
                "levelDoesNotGiveCare": _(
                    "%(name)s (%(renaes_code)s): category %(new_category)s does not give this care either, so "
                    "nothing changes. Choose a higher category."
                ),
                "upgradeNoGain": _(
                    "%(name)s (%(renaes_code)s) raised to %(new_category)s would give this care and be nearer for "
                    "%(people_nearer)s people, but none of them crosses 30, 60 or 120 minutes: they reach "
                    "another facility within the same time now, or stay beyond 120 minutes."
                ),
                "upgradeNobodyNearer": _(
                    "%(name)s (%(renaes_code)s) raised to %(new_category)s would give this care, but no one would "
                    "reach it sooner than their nearest facility now, so nothing changes within 120 minutes."
                ),
                "noSuggestions": _("No populated place beyond this time: nothing to suggest."),
                "noRows": _("Nothing to show."),
                "remove": _("Remove"),
            },
        }


class ExportView(PlannerRequiredMixin, View):
    """``/planning/export/<csv|geojson|png>?care=&mode=&minutes=&level=``: the current map as a file."""

    login_url = reverse_lazy("planning:login")

    def get(self, request: HttpRequest, file_format: str) -> HttpResponse:
        serializer = CoverageQuerySerializer(data=request.GET)
        if not serializer.is_valid():
            return JsonResponse({"errors": serializer.errors}, status=400)
        query = serializer.validated_data
        areas = reports.area_coverage(
            query["care"], query["mode"], query["population"], query["level"], query["department"] or None
        )
        metadata = coverage_metadata(query)
        if not areas:
            return HttpResponse(self._nothing_to_export(query, metadata), status=404,
                                content_type="text/plain; charset=utf-8")
        name = f"coverage_{query['care']}_{query['mode']}_{query['minutes']}min_{query['level']}"
        collection = reports.feature_collection(areas, query["level"], query["minutes"], metadata)

        if file_format == "csv":
            response = HttpResponse(
                exports.coverage_csv(areas, THRESHOLDS_MIN, metadata), content_type="text/csv; charset=utf-8"
            )
        elif file_format == "geojson":
            response = HttpResponse(json.dumps(collection), content_type="application/geo+json")
        else:
            labels = self._figure_labels(metadata)
            response = HttpResponse(exports.coverage_png(collection, areas, labels), content_type="image/png")
        response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
        return response

    def _nothing_to_export(self, query: dict, metadata: dict) -> str:
        """Explain in the active language why the file would be empty and how to fill it."""
        values = {"care": metadata["care_label"], "mode": metadata["mode_label"]}
        if not query["department"]:
            return _(
                "There is nothing to download: no coverage of “%(care)s” (%(mode)s) is computed for any department. "
                "Choose a department on the planning page and press “Recompute”."
            ) % values
        department = Department.objects.get(pk=query["department"])
        return _(
            "There is nothing to download: no coverage of “%(care)s” (%(mode)s) is computed for %(department)s. "
            "Choose it on the planning page and press “Recompute”."
        ) % dict(values, department=f"{department.name} ({department.ubigeo})")

    def _figure_labels(self, metadata: dict) -> dict:
        values = {"care": metadata["care_label"], "mode": metadata["mode_label"], "minutes": metadata["minutes"]}
        return {
            "title": _("People beyond %(minutes)s min of: %(care)s (%(mode)s)") % values,
            "legend": _("Share of people beyond %(minutes)s min") % values,
            "chart_title": _("Worst areas by share beyond %(minutes)s min") % values,
            "chart_axis": _("% of people"),
            "footnote": " ".join(metadata["method"]) + " " + _("Sources:") + " " + "; ".join(metadata["sources"]),
        }
