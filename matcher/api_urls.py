"""URLs of the matcher API, mounted under /api/v1/."""
from django.urls import path

from . import api_views

urlpatterns = [
    path("feedback/", api_views.FeedbackView.as_view(), name="api-feedback"),
]
