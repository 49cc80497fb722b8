"""URLs of the public API, mounted under /api/v1/."""
from django.urls import path

from . import api_views

urlpatterns = [
    path("match/", api_views.MatchView.as_view(), name="api-match"),
    path("places/", api_views.PlaceSearchView.as_view(), name="api-places"),
    path("needs/", api_views.NeedListView.as_view(), name="api-needs"),
    path("facilities/", api_views.FacilityListView.as_view(), name="api-facilities"),
    path("districts/<str:ubigeo>/", api_views.DistrictDetailView.as_view(), name="api-district"),
]
