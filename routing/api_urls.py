"""URLs of the routing API, mounted under /api/v1/routing/."""
from django.urls import path

from .api_views import IsochroneView, RouteView

urlpatterns = [
    path("isochrones/", IsochroneView.as_view(), name="routing-isochrones"),
    path("route/", RouteView.as_view(), name="routing-route"),
]
