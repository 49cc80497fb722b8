"""Planner pages, mounted under /planning/."""
from django.urls import path, re_path

from . import views

app_name = "planning"

urlpatterns = [
    path("", views.CoverageView.as_view(), name="coverage"),
    path("login/", views.PlannerLoginView.as_view(), name="login"),
    path("logout/", views.PlannerLogoutView.as_view(), name="logout"),
    re_path(r"^export/(?P<file_format>csv|geojson|png)$", views.ExportView.as_view(), name="export"),
]
