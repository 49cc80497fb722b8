"""Root URL configuration: the family page, the admin and the versioned API."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("ops.urls")),
    path("api/v1/", include("matcher.api_urls")),
    path("api/v1/", include("geoservices.api_urls")),
    path("api/v1/", include("planning.api_urls")),
    path("api/v1/routing/", include("routing.api_urls")),
    path("planning/", include("planning.urls")),
    path("", include("frontend.urls")),
]
handler500 = "ops.views.server_error"
