"""Planning API, mounted under /api/v1/ beside the public API; every path starts with coverage/."""
from django.urls import path

from . import api_views

urlpatterns = [
    path("coverage/", api_views.CoverageView.as_view(), name="api-coverage"),
    path("coverage/ranking/", api_views.RankingView.as_view(), name="api-coverage-ranking"),
    path("coverage/jobs/", api_views.JobCreateView.as_view(), name="api-coverage-jobs"),
    path("coverage/jobs/<int:job_id>/", api_views.JobStatusView.as_view(), name="api-coverage-job"),
    path("coverage/scenario/", api_views.ScenarioView.as_view(), name="api-coverage-scenario"),
    path("coverage/suggestions/", api_views.SuggestionView.as_view(), name="api-coverage-suggestions"),
    path("coverage/catchments/", api_views.CatchmentView.as_view(), name="api-coverage-catchments"),
    path("coverage/unmet/", api_views.UnmetDemandView.as_view(), name="api-coverage-unmet"),
]
