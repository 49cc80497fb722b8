"""Planning API v1 under ``/api/v1/coverage/``: for planners and staff only, session login."""
from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from frontend.views import need_choices
from ops.jobs import enqueue
from ops.models import Job

from . import reports, scenarios
from .care import care_label
from .exceptions import CoverageNotComputedError
from .permissions import IsPlanner
from .serializers import (
    CoverageQuerySerializer,
    DepartmentQuerySerializer,
    JobRequestSerializer,
    ScenarioSerializer,
    SuggestionQuerySerializer,
)
from .text import coverage_metadata


class PlannerAPIView(APIView):
    """Base view: session authentication and the planner permission."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsPlanner]

    def query(self, serializer_class):
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def body(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def stored_run(query: dict):
    """Return the stored run for a validated query, or raise a 400 whose message explains how to compute it."""
    try:
        return scenarios.get_run(query["department"], query["care"], query["mode"], query["population"])
    except CoverageNotComputedError:
        raise ValidationError(
            {
                "department": [
                    _(
                        "Coverage of department %(department)s for “%(care)s” is not computed yet. "
                        "Press “Recompute” on the planning page and try again."
                    )
                    % {"department": query["department"], "care": care_label(query["care"])}
                ]
            }
        ) from None


class CoverageView(PlannerAPIView):
    """``GET /api/v1/coverage/?care=any&minutes=60&mode=walk&level=district``: GeoJSON of people beyond a time."""

    @extend_schema(parameters=[CoverageQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        query = self.query(CoverageQuerySerializer)
        areas = reports.area_coverage(
            query["care"], query["mode"], query["population"], query["level"], query["department"] or None
        )
        metadata = coverage_metadata(query)
        return Response(reports.feature_collection(areas, query["level"], query["minutes"], metadata))


class RankingView(PlannerAPIView):
    """``GET /api/v1/coverage/ranking/``: the districts with the largest share of people beyond a time."""

    @extend_schema(parameters=[CoverageQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        query = self.query(CoverageQuerySerializer)
        areas = reports.area_coverage(
            query["care"], query["mode"], query["population"], query["level"], query["department"] or None
        )
        minutes = query["minutes"]
        results = [
            {
                "ubigeo": area.ubigeo,
                "name": area.name,
                "population": area.population,
                "population_beyond": area.beyond[minutes],
                "share_beyond": round(area.share_beyond(minutes), 4),
                "poverty_rate": area.poverty_rate,
            }
            for area in reports.worst_areas(areas, minutes)
        ]
        return Response({"minutes": minutes, "results": results})


class JobCreateView(PlannerAPIView):
    """``POST /api/v1/coverage/jobs/``: recompute one department as a background job."""

    @extend_schema(request=JobRequestSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        data = self.body(JobRequestSerializer)
        job = enqueue(
            "compute_coverage",
            user=request.user,
            department=data["department"],
            care=data["care"],
            mode=data["mode"],
            population=data["population"],
        )
        return Response(job_payload(job), status=status.HTTP_202_ACCEPTED)


class JobStatusView(PlannerAPIView):
    """``GET /api/v1/coverage/jobs/<id>/``: progress of a coverage job."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, job_id: int):
        job = Job.objects.filter(pk=job_id, name="compute_coverage").first()
        if job is None:
            raise NotFound(_("No coverage job number %(id)s. Start a new computation.") % {"id": job_id})
        return Response(job_payload(job))


def job_payload(job: Job) -> dict:
    """Return the fields of a job that the progress bar shows; command output stays with admins."""
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "progress": round(job.progress, 3),
        "finished": job.status in Job.FINISHED,
    }


class ScenarioView(PlannerAPIView):
    """``POST /api/v1/coverage/scenario/``: people newly within reach after new or upgraded facilities."""

    @extend_schema(request=ScenarioSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        data = self.body(ScenarioSerializer)
        run = stored_run(data)
        sites = [(site["lon"], site["lat"]) for site in data["sites"]]
        upgrades = [(item["renaes_code"], item["category"]) for item in data["upgrades"]]
        return Response(scenarios.run_scenario(run, sites, upgrades))


class SuggestionView(PlannerAPIView):
    """``GET /api/v1/coverage/suggestions/?department=08&k=5``: best new sites by greedy maximal coverage."""

    @extend_schema(parameters=[SuggestionQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        query = self.query(SuggestionQuerySerializer)
        run = stored_run(query)
        sites = scenarios.suggest_sites(run, query["minutes"], query["k"])
        return Response({"minutes": query["minutes"], "results": sites})


class CatchmentView(PlannerAPIView):
    """``GET /api/v1/coverage/catchments/?department=08``: people within reach of each facility, and its load."""

    @extend_schema(parameters=[DepartmentQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        query = self.query(DepartmentQuerySerializer)
        return Response({"results": scenarios.catchments(stored_run(query))})


class UnmetDemandView(PlannerAPIView):
    """``GET /api/v1/coverage/unmet/``: searches that found nothing within reach, in groups of 5 or more."""

    @extend_schema(parameters=[CoverageQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        query = self.query(CoverageQuerySerializer)
        groups = reports.unmet_demand(query["department"] or None)
        need_names = dict(need_choices(get_language() or "es"))
        return Response(
            {
                "threshold_min": reports.UNMET_THRESHOLD_MIN,
                "min_group_size": reports.MIN_GROUP_SIZE,
                "results": [dict(group.__dict__, need_name=need_names.get(group.need, group.need)) for group in groups],
            }
        )
