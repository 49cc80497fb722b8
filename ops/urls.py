"""Operator endpoints, the OpenAPI schema and its docs page."""
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import views

app_name = "ops"

urlpatterns = [
    path("health/", views.health, name="health"),
    path("health/live/", views.live, name="live"),
    path("metrics", views.metrics, name="metrics"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="ops:schema"), name="docs"),
    path("api/v1/redoc/", SpectacularRedocView.as_view(url_name="ops:schema"), name="redoc"),
]
