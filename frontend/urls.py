"""Family pages and the JavaScript translation catalogue."""
from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import views
from .reports import DataReportView

app_name = "frontend"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("referral/", views.ReferralView.as_view(), name="referral"),
    path("referral/pdf/", views.referral_pdf, name="referral-pdf"),
    path("boundaries/departments.geojson", views.boundaries, {"level": "departments"}, name="boundaries-departments"),
    path("boundaries/districts.geojson", views.boundaries, {"level": "districts"}, name="boundaries-districts"),
    path("report-data/", DataReportView.as_view(), name="report-data"),
    # Only this app's strings (from LOCALE_PATHS), to keep the page light.
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["frontend"]), name="javascript-catalog"),
]
