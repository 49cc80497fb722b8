"""OpenAPI descriptions of the public API views, for drf-spectacular.

The API views are plain ``APIView`` classes, from which drf-spectacular
cannot infer request and response bodies. These extensions attach them by
class path, so the schema at /api/v1/schema/ documents every endpoint
without changing the views. A view that declares its own ``@extend_schema``
keeps it: an extension only fills in what the decorator leaves out.
"""
from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.plumbing import get_class
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

ERRORS = inline_serializer(
    name="Errors",
    fields={
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Messages by field path, in the request's language.",
        )
    },
)
ERROR_RESPONSES = {
    429: OpenApiResponse(ERRORS, description="Too many requests from this client; retry after Retry-After seconds."),
    503: OpenApiResponse(ERRORS, description="PostGIS or Redis is restarting; retry after Retry-After seconds."),
}
RESULTS = inline_serializer(
    name="Results", fields={"results": serializers.ListField(child=serializers.DictField())}
)


def _describe(target: str, **schema):
    """Register an extension that applies ``extend_schema(**schema)`` to the view at ``target``."""

    class Extension(OpenApiViewExtension):
        target_class = target

        def view_replacement(self):
            return extend_schema(**schema)(self.target_class)

    Extension.__name__ = Extension.__qualname__ = target.rsplit(".", 1)[-1] + "Schema"
    return Extension


def register_api_schemas() -> None:
    """Describe the public API views; called once from ``OpsConfig.ready``."""
    from geoservices.serializers import DistrictFeatureSerializer, FacilityFeatureSerializer, MatchRequestSerializer
    from matcher.serializers import FeedbackSerializer

    _describe(
        "geoservices.api_views.MatchView",
        request=MatchRequestSerializer,
        responses={200: OpenApiTypes.OBJECT, 400: ERRORS, **ERROR_RESPONSES},
        summary="Facilities and programmes for a household",
    )
    _describe(
        "geoservices.api_views.PlaceSearchView",
        parameters=[OpenApiParameter("q", str, required=True, description="At least 2 letters of a place name.")],
        responses={200: RESULTS, 400: ERRORS, 503: ERROR_RESPONSES[503]},
        summary="Districts and populated places by name",
    )
    _describe(
        "geoservices.api_views.NeedListView",
        responses={200: RESULTS, 503: ERROR_RESPONSES[503]},
        summary="Kinds of care a family can ask for",
    )
    _describe(
        "geoservices.api_views.FacilityListView",
        parameters=[
            OpenApiParameter(
                "bbox", str, required=True, description="minlon,minlat,maxlon,maxlat in degrees (WGS 84)."
            )
        ],
        responses={200: FacilityFeatureSerializer(many=True), 400: ERRORS, 503: ERROR_RESPONSES[503]},
        summary="Searchable facilities in a bounding box, as GeoJSON",
    )
    _describe(
        "matcher.api_views.FeedbackView",
        request=FeedbackSerializer,
        responses={
            201: inline_serializer(name="FeedbackCreated", fields={"id": serializers.IntegerField()}),
            400: ERRORS,
            **ERROR_RESPONSES,
        },
        summary="Record what a family did with one search result",
    )
    _describe(
        "geoservices.api_views.DistrictDetailView",
        responses={200: DistrictFeatureSerializer, 404: ERRORS, 503: ERROR_RESPONSES[503]},
        summary="A district polygon with its figures, as GeoJSON",
    )


def _is_documented(view_class) -> bool:
    """Return True when the view declares its own schema or serializer."""
    if issubclass(view_class, GenericAPIView) or "schema" in view_class.__dict__:
        return True
    handlers = [getattr(view_class, method, None) for method in view_class.http_method_names]
    return any(hasattr(handler, "kwargs") for handler in handlers if handler is not None)


class UndescribedAPIViewSchema(OpenApiViewExtension):
    """Fallback for plain APIViews that no description covers: a JSON object response.

    Without it drf-spectacular skips such views with warning W002, which
    ``check --deploy`` reports. The specific descriptions above have higher
    priority, and views with their own ``@extend_schema`` are left alone.
    """

    target_class = "rest_framework.views.APIView"
    match_subclasses = True
    priority = -1

    def view_replacement(self):
        view_class = get_class(self.target)
        if _is_documented(view_class):
            return view_class
        return extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES})(
            view_class
        )
